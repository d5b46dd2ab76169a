-- DELETE /api/tasks/{id}, each task once: the pool is made before the run
-- (bench/run sizes it from the measured rate of G, with room to spare),
-- and each thread takes its own share of it, every nthreads-th line.
-- Once a thread's share runs out it asks for an id that no longer exists:
-- the 404s then show in the non-2xx count, never as a silent success.
-- Arguments: bearer token, file of task ids, number of threads.
local counter = 0

function setup(thread)
   thread:set("index", counter)
   counter = counter + 1
end

local ids = {}
local next_id = 1
local headers = {}

function init(args)
   headers["Authorization"] = "Bearer " .. args[1]
   local nthreads = tonumber(args[3])
   local n = 0
   for line in io.lines(args[2]) do
      if n % nthreads == index then
         ids[#ids + 1] = line
      end
      n = n + 1
   end
end

function request()
   local id = ids[next_id] or ids[#ids]
   next_id = next_id + 1
   return wrk.format("DELETE", "/api/tasks/" .. id, headers)
end
