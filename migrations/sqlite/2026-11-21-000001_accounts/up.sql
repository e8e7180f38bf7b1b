-- Accounts, their session tokens, and the login audit trail.
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    -- lower-cased username: uniqueness is case-insensitive on both backends
    username_key TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'moderator', 'admin')),
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX accounts_username_key ON accounts (username_key);

CREATE TABLE auth_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- SHA-256 of the token, hex: the token itself is never stored
    token_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX auth_tokens_hash ON auth_tokens (token_hash);
CREATE INDEX auth_tokens_account ON auth_tokens (account_id);

-- Every login and resume attempt. No foreign key: the record outlives the account.
CREATE TABLE login_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NULL,
    username TEXT NOT NULL,
    ip TEXT NOT NULL,
    success BOOLEAN NOT NULL,
    reason TEXT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX login_events_at ON login_events (at);
CREATE INDEX login_events_account_at ON login_events (account_id, at);

CREATE TABLE daily_logins (
    day DATE NOT NULL,
    account_id BIGINT NOT NULL,
    first_at TIMESTAMP NOT NULL,
    last_at TIMESTAMP NOT NULL,
    logins INTEGER NOT NULL,
    PRIMARY KEY (day, account_id)
);
CREATE INDEX daily_logins_account ON daily_logins (account_id, day);
