-- Written to run again harmlessly (IF NOT EXISTS).
-- The answers of writes that carried an `Idempotency-Key`, kept with the write (in its
-- transaction) for 24 hours, then purged in small batches.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    user_id      BIGINT NOT NULL REFERENCES users (id),
    key          TEXT NOT NULL,
    fingerprint  BYTEA NOT NULL,
    status       INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    body         BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX IF NOT EXISTS idempotency_keys_expiry ON idempotency_keys (created_at);
