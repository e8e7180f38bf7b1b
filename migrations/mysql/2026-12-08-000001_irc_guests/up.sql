-- Guests of the IRC gateway ([irc] guests = true): an account with no
-- password (password_hash NULL, guest true) whose name anyone may take
-- while nobody is using it. One statement: MariaDB DDL is not
-- transactional.
ALTER TABLE accounts
    MODIFY password_hash VARCHAR(60) NULL,
    ADD COLUMN guest BOOLEAN NOT NULL DEFAULT FALSE,
    -- only a guest has no password
    ADD CONSTRAINT accounts_guest_password CHECK (guest OR password_hash IS NOT NULL);
