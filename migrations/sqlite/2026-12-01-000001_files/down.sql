DROP TABLE server_keys;
DROP TABLE file_deletions;
DROP TABLE files;
