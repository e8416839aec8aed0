-- Messages whose receivers' devices without a connection are to be notified through their
-- vendors: queued in the send transaction (for apps with push credentials), worked by a
-- durable job. Failed for good: kept, with the last error.
CREATE TABLE message_pushes (
    id BIGSERIAL PRIMARY KEY,
    app_id TEXT NOT NULL,
    message_id BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    failed BOOLEAN NOT NULL,
    last_error TEXT NOT NULL
);
CREATE INDEX message_pushes_due_idx ON message_pushes (failed, next_attempt_at);
