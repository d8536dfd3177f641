-- wrk: GET /api/orders/by-session/<random seeded settled session> (bench/sql/seed.sql).
-- BENCH_ORDERS (env) = how many cs_test_read_N exist.
local orders = tonumber(os.getenv("BENCH_ORDERS") or "100000")
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/api/orders/by-session/cs_test_read_" .. math.random(1, orders))
end
