-- Guest rows cannot be kept without a password: they go (their texts stay
-- in chat_logs, which has no foreign key), then the table is rebuilt as
-- it was.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
DELETE FROM room_members WHERE account_id IN (SELECT id FROM accounts WHERE guest);
DELETE FROM auth_tokens WHERE account_id IN (SELECT id FROM accounts WHERE guest);
DELETE FROM read_markers WHERE account_id IN (SELECT id FROM accounts WHERE guest)
    OR peer_id IN (SELECT id FROM accounts WHERE guest);
UPDATE rooms SET created_by = NULL WHERE created_by IN (SELECT id FROM accounts WHERE guest);
DELETE FROM accounts WHERE guest;
CREATE TABLE accounts_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'moderator', 'admin')),
    created_at TIMESTAMP NOT NULL,
    name_skeleton TEXT NULL
);
INSERT INTO accounts_rebuilt (id, username, username_key, password_hash, role, created_at, name_skeleton)
    SELECT id, username, username_key, password_hash, role, created_at, name_skeleton FROM accounts;
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'accounts_rebuilt', seq FROM sqlite_sequence WHERE name = 'accounts'
    AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'accounts_rebuilt');
UPDATE sqlite_sequence
    SET seq = MAX(seq, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'accounts'), 0))
    WHERE name = 'accounts_rebuilt';
DROP TABLE accounts;
ALTER TABLE accounts_rebuilt RENAME TO accounts;
CREATE UNIQUE INDEX accounts_username_key ON accounts (username_key);
CREATE UNIQUE INDEX accounts_name_skeleton ON accounts (name_skeleton);
COMMIT;
PRAGMA foreign_keys = ON;
