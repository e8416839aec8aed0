-- Rosters: one entry per direction of a friendship (kept, inactive, after deletion),
-- one friend application per applicant→target pair, and blocks.
CREATE TABLE roster_entries (
    app_id TEXT NOT NULL,
    owner_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    friend_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    active BOOLEAN NOT NULL,
    alias TEXT NOT NULL,
    ext TEXT NOT NULL,
    mute_notification BOOLEAN NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (owner_id, friend_id)
);

CREATE TABLE roster_applications (
    id BIGINT NOT NULL,
    app_id TEXT NOT NULL,
    applicant_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    target_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    alias TEXT NOT NULL,
    status BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (applicant_id, target_id)
);
CREATE INDEX roster_applications_target_idx ON roster_applications (target_id, id);

CREATE TABLE roster_blocks (
    app_id TEXT NOT NULL,
    owner_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (owner_id, blocked_id)
);
CREATE INDEX roster_blocks_blocked_idx ON roster_blocks (blocked_id);
CREATE INDEX roster_entries_friend_idx ON roster_entries (friend_id);
