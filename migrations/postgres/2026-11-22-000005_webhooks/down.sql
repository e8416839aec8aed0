DROP TABLE webhook_outbox;
DROP TABLE message_callbacks;
