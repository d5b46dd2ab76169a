-- One fixed request, built once by wrk: the cheapest way to drive a route.
-- Arguments: method, bearer token ("-" for none), JSON body ("-" for none),
-- and one more header as "Name: value" (optional; If-None-Match for G's
-- 304, docs/API.md "ETags and preconditions").
function init(args)
   wrk.method = args[1]
   if args[2] ~= "-" then
      wrk.headers["Authorization"] = "Bearer " .. args[2]
   end
   if args[3] ~= nil and args[3] ~= "-" then
      wrk.body = args[3]
      wrk.headers["Content-Type"] = "application/json"
   end
   if args[4] ~= nil and args[4] ~= "-" then
      local name, value = args[4]:match("^([^:]+):%s*(.*)$")
      wrk.headers[name] = value
   end
end
