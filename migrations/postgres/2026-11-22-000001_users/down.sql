DROP TABLE user_open_ids;
DROP TABLE user_push_tags;
DROP TABLE access_tokens;
DROP TABLE devices;
DROP TABLE users;
DROP TABLE apps;
