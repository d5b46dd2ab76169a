-- The mixed workload: each request is one user's, drawn at random, with
-- that user's own token: 70% GET one of the user's tasks, 20% the list
-- (limit=20), 10% a create.
-- Arguments: file of "token task-id" lines (one a user), create body.
local counter = 0

function setup(thread)
   thread:set("index", counter)
   counter = counter + 1
end

local users = {}
local body

function init(args)
   for line in io.lines(args[1]) do
      local token, id = line:match("^(%S+) (%S+)$")
      users[#users + 1] = { auth = "Bearer " .. token, id = id }
   end
   body = args[2]
   -- Each thread its own sequence: they start in the same second.
   math.randomseed(os.time() * 16 + index)
end

function request()
   local u = users[math.random(#users)]
   local r = math.random(100)
   if r <= 70 then
      return wrk.format("GET", "/api/tasks/" .. u.id,
         { ["Authorization"] = u.auth })
   elseif r <= 90 then
      return wrk.format("GET", "/api/tasks?limit=20",
         { ["Authorization"] = u.auth })
   end
   return wrk.format("POST", "/api/tasks",
      { ["Authorization"] = u.auth, ["Content-Type"] = "application/json" },
      body)
end
