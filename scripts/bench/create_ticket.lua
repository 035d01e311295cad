-- wrk script: POST /api/v1/tickets with a fixed body (no Idempotency-Key: every request creates a ticket).
-- BENCH_TOKEN and BENCH_REQUESTER come from the environment (scripts/bench.sh sets them).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.body = '{"requester_id": ' .. os.getenv("BENCH_REQUESTER") ..
  ', "subject": "Kiosk in block C rejects cards", "channel": "phone", "priority": "high",' ..
  ' "category": "account funding", "tags": ["kiosk"],' ..
  ' "description": "Caller reports every card is rejected since this morning."}'
