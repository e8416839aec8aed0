-- Groups ("chat_groups": GROUPS is a keyword in window frames), members, kick counts,
-- blacklists, invitations, applications, announcements and shared files.
CREATE TABLE chat_groups (
    id BIGINT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps (id),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    avatar TEXT NOT NULL,
    ext TEXT NOT NULL,
    kind BIGINT NOT NULL,
    owner_id BIGINT NOT NULL,
    member_invite BOOLEAN NOT NULL,
    apply_approval BIGINT NOT NULL,
    read_ack BOOLEAN NOT NULL,
    history_visible BOOLEAN NOT NULL,
    member_modify BOOLEAN NOT NULL,
    ban_expire_time BIGINT NOT NULL,
    destroyed BOOLEAN NOT NULL,
    capacity BIGINT NOT NULL,
    qr_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX chat_groups_owner_idx ON chat_groups (app_id, owner_id);
CREATE INDEX chat_groups_kind_idx ON chat_groups (app_id, kind);

CREATE TABLE group_members (
    app_id TEXT NOT NULL,
    group_id BIGINT NOT NULL REFERENCES chat_groups (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role BIGINT NOT NULL,
    display_name TEXT NOT NULL,
    joined_at BIGINT NOT NULL,
    muted_until BIGINT NOT NULL,
    msg_mute_mode BIGINT NOT NULL,
    msg_push_mode BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user_idx ON group_members (user_id);

CREATE TABLE group_kicks (
    app_id TEXT NOT NULL,
    group_id BIGINT NOT NULL REFERENCES chat_groups (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kicks BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);

CREATE TABLE group_blocks (
    app_id TEXT NOT NULL,
    group_id BIGINT NOT NULL REFERENCES chat_groups (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);

CREATE TABLE group_invitations (
    id BIGINT NOT NULL,
    app_id TEXT NOT NULL,
    group_id BIGINT NOT NULL REFERENCES chat_groups (id) ON DELETE CASCADE,
    inviter_id BIGINT NOT NULL,
    invitee_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    status BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, invitee_id)
);
CREATE INDEX group_invitations_invitee_idx ON group_invitations (invitee_id, id);

CREATE TABLE group_join_requests (
    id BIGINT NOT NULL,
    app_id TEXT NOT NULL,
    group_id BIGINT NOT NULL REFERENCES chat_groups (id) ON DELETE CASCADE,
    applicant_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    status BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, applicant_id)
);
CREATE INDEX group_join_requests_id_idx ON group_join_requests (group_id, id);

CREATE TABLE group_announcements (
    id BIGINT PRIMARY KEY,
    app_id TEXT NOT NULL,
    group_id BIGINT NOT NULL REFERENCES chat_groups (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX group_announcements_group_idx ON group_announcements (group_id, id);

CREATE TABLE group_files (
    id BIGINT PRIMARY KEY,
    app_id TEXT NOT NULL,
    group_id BIGINT NOT NULL REFERENCES chat_groups (id) ON DELETE CASCADE,
    uploader_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    size BIGINT NOT NULL,
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX group_files_group_idx ON group_files (group_id, id);
