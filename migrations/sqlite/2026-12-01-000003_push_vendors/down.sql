DROP TABLE push_retries;
DROP TABLE push_credentials;
