-- 003: fence an outbox job's result on its claim, not on (locked_by, attempts). A revived job
-- (admin retry-fulfillment resets attempts to 0) claimed again by the same instance reaches the same
-- (locked_by, attempts) pair as an earlier, stale claim whose worker hung past its lease: that worker's
-- late result would have been recorded as the new run's. A fresh token per claim makes every claim
-- distinguishable.
ALTER TABLE outbox_jobs ADD COLUMN claim_token uuid NULL;
