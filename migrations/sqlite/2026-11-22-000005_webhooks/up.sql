-- Message webhooks: each app's callback, and the durable queue of deliveries (filled in the
-- transaction that stores each message).
CREATE TABLE message_callbacks (
    app_id TEXT PRIMARY KEY REFERENCES apps (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    -- Kept as given: it keys the HMAC that signs every request.
    secret TEXT NOT NULL
);

-- A pending job is deleted once delivered; one that ran out of attempts stays, failed.
-- The content is copied as sent: a later recall or edit does not change what is posted.
CREATE TABLE webhook_outbox (
    message_id BIGINT PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    app_id TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    content TEXT NOT NULL,
    attachment TEXT NOT NULL,
    config TEXT NOT NULL,
    ext TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    failed BOOLEAN NOT NULL,
    last_error TEXT NOT NULL
);
CREATE INDEX webhook_outbox_due_idx ON webhook_outbox (failed, next_attempt_at);
