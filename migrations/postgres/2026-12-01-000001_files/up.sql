-- Stored files (MaxIM §9): a record per upload or forward, naming an object of the file
-- store. A record is readable once `stored`; several records may name one object.
CREATE TABLE files (
    id BIGINT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    -- The unguessable `file_sign` of download URLs.
    sign TEXT NOT NULL,
    -- The object's name within the app (`chat/…`, `avatar/…`).
    object TEXT NOT NULL,
    -- 0 chat file, 1 user avatar, 2 group avatar.
    purpose BIGINT NOT NULL,
    -- MaxIM file_type of a chat file (100–104, 200–203); 0 for avatars.
    file_type BIGINT NOT NULL,
    -- Chat files: 1 to a user, 2 to a group; group avatars 2; user avatars 0.
    to_type BIGINT NOT NULL,
    to_id BIGINT NOT NULL,
    -- The uploading user; 0 for an admin token.
    uploader BIGINT NOT NULL,
    size BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    name TEXT NOT NULL,
    stored BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX files_sign_idx ON files (app_id, sign);
CREATE INDEX files_object_idx ON files (app_id, object);
CREATE INDEX files_uploader_idx ON files (app_id, uploader);
CREATE INDEX files_conversation_idx ON files (app_id, to_type, to_id);

-- Objects whose records were deleted (with a user or a group): their bytes are deleted by
-- a durable job unless another record still names them. Failed for good: kept, with the
-- last error.
CREATE TABLE file_deletions (
    id BIGSERIAL PRIMARY KEY,
    app_id TEXT NOT NULL,
    object TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    failed BOOLEAN NOT NULL,
    last_error TEXT NOT NULL
);
CREATE INDEX file_deletions_due_idx ON file_deletions (failed, next_attempt_at);

-- Secrets the server generates once and every node shares (the upload URL signing key).
CREATE TABLE server_keys (
    name TEXT PRIMARY KEY,
    secret TEXT NOT NULL
);
