-- wrk script: moves the work orders whose ids are listed in BENCH_WORK_ORDERS (a file, one id
-- per line, all `dispatched`) through en_route, then on_site, then completed: each thread takes
-- every other id, one pass per status, so one work order never has two requests in flight.
-- BENCH_FIRST_STEP (1–3, default 1) starts at on_site (2) or completed (3) for work orders
-- already further along.
local ids = {}
for line in io.lines(os.getenv("BENCH_WORK_ORDERS")) do ids[#ids + 1] = tonumber(line) end
local steps = {
  '{"to":"en_route"}',
  '{"to":"on_site"}',
  '{"to":"completed","resolution_code":"replaced_handset","problem_fixed":true,' ..
    '"parts":[{"part_number":"HS-200","description":"Armored handset","quantity":1}]}',
}
local counter = 0
setup = function(thread) thread:set("first", counter); counter = counter + 1 end
local i, pass
init = function()
  i = tonumber(first) + 1
  pass = tonumber(os.getenv("BENCH_FIRST_STEP") or "1")
end
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["Content-Type"] = "application/json"
request = function()
  if i > #ids then
    i = tonumber(first) + 1
    pass = pass + 1
  end
  local id = ids[i]
  i = i + 2
  local body = steps[math.min(pass, 3)]
  return wrk.format(nil, "/api/v1/work-orders/" .. id .. "/transitions", nil, body)
end
