DROP TABLE message_dedup;
DROP TABLE conversation_reads;
DROP TABLE inbox;
DROP TABLE user_positions;
DROP TABLE messages;
