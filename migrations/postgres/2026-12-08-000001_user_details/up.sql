-- What JMessage keeps about a user beyond MaxIM's profile (NULL: never set, and left out of
-- JMessage's answers), and when the profile last changed (JMessage's mtime). No row: none
-- set, and no change since the user registered. Beside `users`, not in it: diesel's tables
-- stop at 32 columns.
CREATE TABLE user_details (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    app_id TEXT NOT NULL,
    birthday TEXT,
    gender BIGINT,
    signature TEXT,
    region TEXT,
    address TEXT,
    extras TEXT,
    updated_at BIGINT NOT NULL
);
