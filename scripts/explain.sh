#!/usr/bin/env bash
# Query plans of the hot queries on seeded data: a throwaway Postgres cluster (scripts/pg.sh), every
# migration in sql/, the `make bench` data (bench/sql/seed.sql) plus outbox jobs and stale pending orders,
# then scripts/explain-hot-queries.sql. The output is what docs/postgres.md shows.
#
#   scripts/explain.sh [ORDERS]     ORDERS settled orders (default 100000), ORDERS/5 pending ones
set -euo pipefail
cd "$(dirname "$0")/.."
orders=${1:-100000}
hooks=$((orders / 10))
dir=$(mktemp -d /tmp/checkout-explain.XXXXXX)
chmod 755 "$dir"
cleanup() {
  scripts/pg.sh stop "$dir/pg" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
scripts/pg.sh start "$dir/pg" --fresh >/dev/null
url=$(scripts/pg.sh url "$dir/pg")
for file in sql/[0-9]*_*.sql; do
  psql "$url" -q -v ON_ERROR_STOP=1 -f "$file" >/dev/null
done
psql "$url" -q -v orders="$orders" -v hooks="$hooks" -f bench/sql/seed.sql >/dev/null
psql "$url" -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
-- Outbox: a week of finished jobs, a few due now, more due later.
INSERT INTO outbox_jobs (kind, order_id, payload, dedupe_key, status, attempts, run_at, updated_at)
SELECT 'fulfill', md5('read-' || n)::uuid, '{}', 'fulfill:' || md5('read-' || n)::uuid, 'done', 1,
       now() - make_interval(secs => n), now() - make_interval(secs => n)
FROM generate_series(1, $orders) AS n;
INSERT INTO outbox_jobs (kind, order_id, payload, dedupe_key, status, run_at)
SELECT 'notify', md5('hook-' || n)::uuid, '{}', 'notify:' || n, 'pending',
       now() + make_interval(secs => n - 100)
FROM generate_series(1, 2000) AS n;
-- Pending orders the reconciler finds stale (one in ten not checked for an hour).
UPDATE orders SET session_checked_at = now() - interval '1 hour'
WHERE status = 'pending_payment' AND order_number LIKE '%0';
VACUUM ANALYZE;
SQL
echo "# $(psql "$url" -Atc 'SHOW server_version') · $orders settled orders, $((2 * hooks)) pending, $((orders + 2000)) outbox jobs"
psql "$url" -q -f scripts/explain-hot-queries.sql
