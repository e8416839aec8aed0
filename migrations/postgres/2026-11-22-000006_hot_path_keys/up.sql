-- The send path inserts a message row and an inbox row per recipient for every message.
-- Each foreign key there costs PostgreSQL a lookup per row and a shared lock on the row it
-- points at (the app's row is shared by every send of the app, which turns those locks
-- into multixacts). The store keeps these references itself: messages are never deleted,
-- apps are never deleted, and deleting a user deletes its inbox rows in the same
-- transaction. SQLite checks keys in process, without row locks, and keeps them.
ALTER TABLE messages DROP CONSTRAINT messages_app_id_fkey;
ALTER TABLE inbox DROP CONSTRAINT inbox_message_id_fkey;
ALTER TABLE inbox DROP CONSTRAINT inbox_user_id_fkey;
