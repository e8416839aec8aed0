DROP TABLE message_pushes;
