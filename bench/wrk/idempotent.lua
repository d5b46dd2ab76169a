-- POST /api/tasks with a fresh Idempotency-Key on every request, or the
-- same request built the same way without one, so that the two runs differ
-- by the key alone, not by the cost of building requests in Lua
-- (docs/API.md "Idempotency keys").
-- Arguments: bearer token, JSON body, "key" or "none".
local counter = 0

function setup(thread)
   thread:set("index", counter)
   counter = counter + 1
end

local headers = {}
local body
local with_key
local prefix
local n = 0

function init(args)
   headers["Authorization"] = "Bearer " .. args[1]
   headers["Content-Type"] = "application/json"
   body = args[2]
   with_key = args[3] == "key"
   -- Keys are kept per user for 24 h: the warm-up, the run and every
   -- thread must each have keys of their own.
   math.randomseed(os.time() * 16 + index)
   prefix = string.format("bench-%d-%d-%d-", os.time(), index, math.random(1, 1000000000))
end

function request()
   n = n + 1
   if with_key then
      headers["Idempotency-Key"] = prefix .. n
   end
   return wrk.format("POST", "/api/tasks", headers, body)
end
