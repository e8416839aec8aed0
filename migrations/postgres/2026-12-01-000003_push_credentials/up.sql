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
