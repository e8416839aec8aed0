-- Messages, per-user inboxes with gapless positions, read positions, and send dedup.
CREATE TABLE messages (
    id BIGINT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps (id),
    from_id BIGINT NOT NULL,
    target_kind BIGINT NOT NULL,
    target_id BIGINT NOT NULL,
    content_type BIGINT NOT NULL,
    content TEXT NOT NULL,
    attachment TEXT NOT NULL,
    config TEXT NOT NULL,
    ext TEXT NOT NULL,
    related_id BIGINT NOT NULL,
    is_system BOOLEAN NOT NULL,
    recalled BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX messages_target_idx ON messages (app_id, target_kind, target_id, id);

-- One row per user: the last position handed out. Updating it locks the user's sequence.
CREATE TABLE user_positions (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    app_id TEXT NOT NULL,
    last_position BIGINT NOT NULL
);

CREATE TABLE inbox (
    app_id TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    conversation_id BIGINT NOT NULL,
    counts BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, position)
);
CREATE INDEX inbox_conversation_idx ON inbox (user_id, conversation_id, message_id);
CREATE UNIQUE INDEX inbox_message_idx ON inbox (user_id, message_id);

CREATE TABLE conversation_reads (
    app_id TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    conversation_id BIGINT NOT NULL,
    read_position BIGINT NOT NULL,
    PRIMARY KEY (user_id, conversation_id)
);

CREATE TABLE message_dedup (
    app_id TEXT NOT NULL,
    sender_id BIGINT NOT NULL,
    transaction_id BIGINT NOT NULL,
    message_ids TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, sender_id, transaction_id)
);
