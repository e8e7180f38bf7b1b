-- Guest rows cannot be kept without a password: they go (their texts stay
-- in chat_logs, which has no foreign key).
DELETE FROM accounts WHERE guest;
ALTER TABLE accounts
    DROP CONSTRAINT accounts_guest_password,
    DROP COLUMN guest,
    MODIFY password_hash VARCHAR(60) NOT NULL;
