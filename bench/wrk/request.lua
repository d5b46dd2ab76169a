-- One fixed request, built once by wrk: the cheapest way to drive a route.
-- Arguments: method, bearer token ("-" for none), JSON body ("-" for none).
function init(args)
   wrk.method = args[1]
   if args[2] ~= "-" then
      wrk.headers["Authorization"] = "Bearer " .. args[2]
   end
   if args[3] ~= nil and args[3] ~= "-" then
      wrk.body = args[3]
      wrk.headers["Content-Type"] = "application/json"
   end
end
