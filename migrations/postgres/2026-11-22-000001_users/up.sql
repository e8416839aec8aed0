-- Apps (tenants), users with profile and settings, devices, access tokens, push tags, open ids.
-- Times are BIGINT milliseconds since the Unix epoch on both backends.
CREATE TABLE apps (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    app_key TEXT NOT NULL,
    master_secret_hash TEXT NOT NULL,
    registration_open BOOLEAN NOT NULL,
    user_limit BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT apps_app_key_key UNIQUE (app_key)
);

CREATE TABLE users (
    id BIGINT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps (id),
    username TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    nick_name TEXT NOT NULL,
    avatar TEXT NOT NULL,
    mobile TEXT,
    email TEXT,
    description TEXT NOT NULL,
    public_info TEXT NOT NULL,
    private_info TEXT NOT NULL,
    auth_mode BIGINT NOT NULL,
    auth_question TEXT NOT NULL,
    auth_answer TEXT NOT NULL,
    auto_download BOOLEAN NOT NULL,
    group_confirm BOOLEAN NOT NULL,
    no_push BOOLEAN NOT NULL,
    no_push_detail BOOLEAN NOT NULL,
    no_push_start_hour BIGINT NOT NULL,
    no_push_end_hour BIGINT NOT NULL,
    silence_start_time BIGINT NOT NULL,
    silence_end_time BIGINT NOT NULL,
    no_sounds BOOLEAN NOT NULL,
    vibratory BOOLEAN NOT NULL,
    push_nick_name TEXT NOT NULL,
    banned BOOLEAN NOT NULL,
    push_alias TEXT,
    badge BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_username_key ON users (app_id, username);
CREATE UNIQUE INDEX users_mobile_key ON users (app_id, mobile);
CREATE UNIQUE INDEX users_email_key ON users (app_id, email);

CREATE TABLE devices (
    app_id TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_sn BIGINT NOT NULL,
    device_guid TEXT NOT NULL,
    platform BIGINT NOT NULL,
    user_agent TEXT NOT NULL,
    push_token TEXT NOT NULL,
    vendor_token TEXT,
    notifier_name TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, device_sn)
);
CREATE UNIQUE INDEX devices_guid_key ON devices (user_id, device_guid);
CREATE UNIQUE INDEX devices_push_token_key ON devices (app_id, push_token);

CREATE TABLE access_tokens (
    token_hash TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps (id),
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    device_sn BIGINT NOT NULL,
    expires_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX access_tokens_user_idx ON access_tokens (user_id, device_sn);

CREATE TABLE user_push_tags (
    app_id TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (user_id, tag)
);

CREATE TABLE user_open_ids (
    app_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    open_id TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (app_id, kind, open_id)
);
