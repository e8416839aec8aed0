DROP TABLE group_files;
DROP TABLE group_announcements;
DROP TABLE group_join_requests;
DROP TABLE group_invitations;
DROP TABLE group_blocks;
DROP TABLE group_kicks;
DROP TABLE group_members;
DROP TABLE chat_groups;
