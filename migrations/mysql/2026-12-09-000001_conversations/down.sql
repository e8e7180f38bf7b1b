DROP INDEX chat_logs_incoming ON chat_logs;
