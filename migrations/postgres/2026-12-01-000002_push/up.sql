-- Push tasks (MaxIM §4): what was asked, where the delivery stands, and counts per channel.
CREATE TABLE push_tasks (
    id BIGINT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    -- A repeated request id of the app answers this task (NULL: none given).
    request_id TEXT,
    -- all, tag, alias, user_id or push_token; the entries are in push_task_entries.
    audience_kind TEXT NOT NULL,
    -- combined, mxpush_only or ospush_only.
    strategy TEXT NOT NULL,
    -- The notification: text, image or cmd.
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    big_text TEXT NOT NULL,
    attachment_url TEXT NOT NULL,
    -- "N" sets the badge, "+N" adds N.
    badge TEXT NOT NULL,
    -- A JSON object as text, or empty.
    ext TEXT NOT NULL,
    show_begin BIGINT,
    show_end BIGINT,
    -- The last device delivered (NULL before the first page).
    cursor_user BIGINT,
    cursor_device BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX push_tasks_request_id_key ON push_tasks (app_id, request_id);

CREATE TABLE push_task_entries (
    app_id TEXT NOT NULL,
    task_id BIGINT NOT NULL REFERENCES push_tasks (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    entry TEXT NOT NULL,
    PRIMARY KEY (task_id, position)
);

-- One row per task and channel (apns, fcm, huawei, xiaomi, oppo, vivo, flyme, mxpush).
CREATE TABLE push_task_counts (
    app_id TEXT NOT NULL,
    task_id BIGINT NOT NULL REFERENCES push_tasks (id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    target BIGINT NOT NULL,
    sent BIGINT NOT NULL,
    received BIGINT NOT NULL,
    PRIMARY KEY (task_id, channel)
);

-- The durable queue of task deliveries. Failed for good: kept, with the last error.
CREATE TABLE push_deliveries (
    id BIGSERIAL PRIMARY KEY,
    app_id TEXT NOT NULL,
    task_id BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    failed BOOLEAN NOT NULL,
    last_error TEXT NOT NULL
);
CREATE INDEX push_deliveries_due_idx ON push_deliveries (failed, next_attempt_at);

-- Audiences by tag and alias.
CREATE INDEX user_push_tags_tag_idx ON user_push_tags (app_id, tag);
CREATE INDEX users_push_alias_idx ON users (app_id, push_alias);
