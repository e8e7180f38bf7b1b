DROP INDEX chat_logs_incoming;
