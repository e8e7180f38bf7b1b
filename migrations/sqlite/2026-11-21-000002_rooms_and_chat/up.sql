CREATE TABLE rooms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    created_by BIGINT NULL REFERENCES accounts (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX rooms_name ON rooms (name);

CREATE TABLE room_members (
    room_id BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    joined_at TIMESTAMP NOT NULL,
    PRIMARY KEY (room_id, account_id)
);
CREATE INDEX room_members_account ON room_members (account_id);

-- Every text: room messages, whispers, announcements. No foreign keys: the
-- log outlives the accounts and rooms it names (sender_name keeps the name
-- as it was when the text was sent).
CREATE TABLE chat_logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('message', 'whisper', 'announcement')),
    room_id BIGINT NULL,
    sender_id BIGINT NULL,
    sender_name TEXT NOT NULL,
    recipient_id BIGINT NULL,
    text TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP NULL,
    deleted_by BIGINT NULL
);
CREATE INDEX chat_logs_room_id ON chat_logs (room_id, id);
CREATE INDEX chat_logs_sender_at ON chat_logs (sender_id, at);
CREATE INDEX chat_logs_recipient_at ON chat_logs (recipient_id, at);
CREATE INDEX chat_logs_at ON chat_logs (at);
