-- Guests of the IRC gateway ([irc] guests = true): an account with no
-- password (password_hash NULL, guest true) whose name anyone may take
-- while nobody is using it. SQLite cannot make a column nullable in place,
-- so the table is rebuilt the way https://sqlite.org/lang_altertable.html
-- ("Making Other Kinds Of Table Schema Changes") says: foreign keys off
-- (the other tables keep referring to "accounts" by name), a new table,
-- the rows copied with their ids, the old table dropped, the new one
-- renamed, the indexes made again, the keys checked, all in one
-- transaction. The id sequence carries over, so no id is ever reused.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE accounts_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL,
    password_hash TEXT NULL,
    role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'moderator', 'admin')),
    created_at TIMESTAMP NOT NULL,
    name_skeleton TEXT NULL,
    guest BOOLEAN NOT NULL DEFAULT FALSE,
    -- only a guest has no password
    CHECK (guest OR password_hash IS NOT NULL)
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
