-- wrk: POST /api/payments/webhook, one unique pre-signed event per request, in file order
-- (lines `<Stripe-Signature>\t<body>` from bench/webhook_gen.py; BENCH_WEBHOOK_FILE). Use -t1: one
-- thread owns the file. When the file is exhausted it starts again (those are duplicates; run.sh
-- counts applied events in the database, so they cannot inflate the result).
local path = os.getenv("BENCH_WEBHOOK_FILE")
local sigs, bodies = {}, {}
for line in io.lines(path) do
  local tab = line:find("\t", 1, true)
  sigs[#sigs + 1] = line:sub(1, tab - 1)
  bodies[#bodies + 1] = line:sub(tab + 1)
end
local i = 0
request = function()
  i = i + 1
  if i > #bodies then i = 1 end
  return wrk.format("POST", "/api/payments/webhook",
    { ["Content-Type"] = "application/json", ["Stripe-Signature"] = sigs[i] }, bodies[i])
end
