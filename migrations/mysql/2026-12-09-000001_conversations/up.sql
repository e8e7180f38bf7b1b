-- `conversations` lists an account's whisper partners, newest first: the
-- whispers it sent are grouped on chat_logs_conversation (sender_id,
-- recipient_id, id); the ones it received need the same with the recipient
-- first, or each call would read every whisper the account ever received.
CREATE INDEX chat_logs_incoming ON chat_logs (recipient_id, sender_id, id);
