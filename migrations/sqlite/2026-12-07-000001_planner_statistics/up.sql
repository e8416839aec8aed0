-- Planner statistics for SQLite, written by hand (PostgreSQL gathers its own with ANALYZE).
--
-- Without statistics SQLite's planner guesses that `app_id = ?` narrows a table to about ten
-- rows, so for `app_id = ? AND id IN (...)` it walks an app-leading index through the
-- whole app (every user, every message of a one-app server) instead of looking each id
-- up. These rows describe the shape every Tidings database has, whatever its size: the
-- tenant column narrows nothing (one app holds every row on most servers), ids and the
-- unique keys narrow to one row. A real `ANALYZE` (run by an operator) replaces them with
-- measured numbers of the same shape; see docs/PERFORMANCE.md.
--
-- Each `stat` is "rows in the index, then the average rows per distinct value of its first
-- column, of its first two columns, ...". `ANALYZE sqlite_schema` creates sqlite_stat1
-- without analysing anything; statistics already measured there are kept.
ANALYZE sqlite_schema;
INSERT INTO sqlite_stat1 (tbl, idx, stat)
SELECT * FROM (VALUES
    ('users', 'sqlite_autoindex_users_1', '1000000 1'),
    ('users', 'users_username_key', '1000000 1000000 1'),
    ('users', 'users_mobile_key', '1000000 1000000 1'),
    ('users', 'users_email_key', '1000000 1000000 1'),
    ('users', 'users_push_alias_idx', '1000000 1000000 2'),
    ('devices', 'sqlite_autoindex_devices_1', '2000000 2 1'),
    ('devices', 'devices_guid_key', '2000000 2 1'),
    ('devices', 'devices_push_token_key', '2000000 2000000 1'),
    ('user_push_tags', 'sqlite_autoindex_user_push_tags_1', '1000000 2 1'),
    ('user_push_tags', 'user_push_tags_tag_idx', '1000000 1000000 1000'),
    ('user_open_ids', 'sqlite_autoindex_user_open_ids_1', '1000000 1000000 500000 1'),
    ('chat_groups', 'sqlite_autoindex_chat_groups_1', '100000 1'),
    ('chat_groups', 'chat_groups_owner_idx', '100000 100000 10'),
    ('chat_groups', 'chat_groups_kind_idx', '100000 100000 50000'),
    ('messages', 'sqlite_autoindex_messages_1', '100000000 1'),
    ('messages', 'messages_target_idx', '100000000 100000000 50000000 1000 1'),
    ('message_dedup', 'sqlite_autoindex_message_dedup_1', '1000000 1000000 10 1'),
    ('files', 'sqlite_autoindex_files_1', '1000000 1'),
    ('files', 'files_sign_idx', '1000000 1000000 1'),
    ('files', 'files_object_idx', '1000000 1000000 1'),
    ('files', 'files_uploader_idx', '1000000 1000000 100'),
    ('files', 'files_conversation_idx', '1000000 1000000 500000 100'),
    ('push_tasks', 'sqlite_autoindex_push_tasks_1', '100000 1'),
    ('push_tasks', 'push_tasks_request_id_key', '100000 100000 1')
) WHERE NOT EXISTS (SELECT 1 FROM sqlite_stat1);
