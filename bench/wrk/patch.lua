-- PATCH /api/tasks/{id} on a task drawn at random from a pool for each
-- request, so concurrent updates seldom wait on one row's lock (pgbench's
-- floor gives each client its own row for the same reason).
-- Arguments: bearer token, file of task ids (one a line), JSON body.
local counter = 0

function setup(thread)
   thread:set("index", counter)
   counter = counter + 1
end

local ids = {}
local headers = {}
local body

function init(args)
   headers["Authorization"] = "Bearer " .. args[1]
   headers["Content-Type"] = "application/json"
   for line in io.lines(args[2]) do
      ids[#ids + 1] = line
   end
   body = args[3]
   -- Each thread its own sequence: they start in the same second.
   math.randomseed(os.time() * 16 + index)
end

function request()
   local id = ids[math.random(#ids)]
   return wrk.format("PATCH", "/api/tasks/" .. id, headers, body)
end
