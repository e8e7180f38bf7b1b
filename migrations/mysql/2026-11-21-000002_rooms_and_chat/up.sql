CREATE TABLE rooms (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(64) NOT NULL,
    capacity INT NOT NULL,
    created_by BIGINT NULL,
    created_at DATETIME(6) NOT NULL,
    UNIQUE KEY rooms_name (name),
    CONSTRAINT rooms_created_by_fk FOREIGN KEY (created_by) REFERENCES accounts (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE room_members (
    room_id BIGINT NOT NULL,
    account_id BIGINT NOT NULL,
    joined_at DATETIME(6) NOT NULL,
    PRIMARY KEY (room_id, account_id),
    KEY room_members_account (account_id),
    CONSTRAINT room_members_room_fk FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE,
    CONSTRAINT room_members_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Every text: room messages, whispers, announcements. No foreign keys: the
-- log outlives the accounts and rooms it names (sender_name keeps the name
-- as it was when the text was sent).
CREATE TABLE chat_logs (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    kind VARCHAR(16) NOT NULL,
    room_id BIGINT NULL,
    sender_id BIGINT NULL,
    sender_name VARCHAR(32) NOT NULL,
    recipient_id BIGINT NULL,
    text TEXT NOT NULL,
    at DATETIME(6) NOT NULL,
    deleted_at DATETIME(6) NULL,
    deleted_by BIGINT NULL,
    KEY chat_logs_room_id (room_id, id),
    KEY chat_logs_sender_at (sender_id, at),
    KEY chat_logs_recipient_at (recipient_id, at),
    KEY chat_logs_at (at),
    CONSTRAINT chat_logs_kind_check CHECK (kind IN ('message', 'whisper', 'announcement'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
