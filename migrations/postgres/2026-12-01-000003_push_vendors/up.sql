-- Apps' vendor push credentials, one row per provider (apns, fcm). `secret` is the private
-- key or service account file as given: never returned by the API nor logged.
CREATE TABLE push_credentials (
    app_id TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    -- The notifier_name devices bind their tokens with.
    name TEXT NOT NULL,
    -- What /push/certificate shows: APNs bundle id and key id; FCM project id and e-mail.
    public_app_id TEXT NOT NULL,
    public_app_key TEXT NOT NULL,
    -- The adapter's other settings as JSON (nothing secret).
    settings TEXT NOT NULL,
    secret TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, provider)
);

-- Vendor pushes to try again: the vendor was unavailable (429, 5xx, unreachable). Failed
-- for good: kept, with the last error.
CREATE TABLE push_retries (
    id BIGSERIAL PRIMARY KEY,
    app_id TEXT NOT NULL,
    -- The task the push belongs to, or (task 0) the message it notifies of.
    task_id BIGINT NOT NULL,
    message_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    device_sn BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    failed BOOLEAN NOT NULL,
    last_error TEXT NOT NULL
);
CREATE INDEX push_retries_due_idx ON push_retries (failed, next_attempt_at);
