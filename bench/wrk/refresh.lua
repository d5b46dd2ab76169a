-- POST /api/auth/refresh along chains of refresh tokens: a refresh uses
-- its token up and answers the next one (docs/API.md "Refresh"), so a
-- chain carries one request at a time. Each thread takes its own share of
-- the chains (every nthreads-th line of the file, one session's refresh
-- token a line; bench/run makes one for each connection, and one more a
-- thread for the call wrk makes to check the script), and each answer's
-- new token goes back among the thread's free chains for its next request.
-- A request that finds no free chain (an answer lost with its connection)
-- sends a token that names no session: its 401 shows in the non-2xx count,
-- never as a silent success.
-- Arguments: file of refresh tokens, number of threads.
local counter = 0

function setup(thread)
   thread:set("index", counter)
   counter = counter + 1
end

local free = {}
local headers = { ["Content-Type"] = "application/json" }

function init(args)
   local nthreads = tonumber(args[2])
   local n = 0
   for line in io.lines(args[1]) do
      if n % nthreads == index then
         free[#free + 1] = line
      end
      n = n + 1
   end
end

function request()
   local token = table.remove(free) or "no-chain-left"
   return wrk.format("POST", "/api/auth/refresh", headers,
      '{"refresh_token":"' .. token .. '"}')
end

function response(status, headers, body)
   local token = body:match('"refresh_token":"([A-Za-z0-9_-]+)"')
   if status == 200 and token ~= nil then
      free[#free + 1] = token
   end
end
