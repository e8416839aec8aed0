DROP TABLE user_details;
