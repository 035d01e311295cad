-- wrk script: GET /api/v1/tickets/{id} of a random ticket among ids 1..BENCH_TICKETS.
-- BENCH_TOKEN and BENCH_TICKETS come from the environment (scripts/bench.sh sets them).
local n = tonumber(os.getenv("BENCH_TICKETS"))
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
request = function()
  return wrk.format("GET", "/api/v1/tickets/" .. math.random(1, n))
end
