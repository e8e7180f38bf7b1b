-- Accounts, their session tokens, and the login audit trail.
CREATE TABLE accounts (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    username VARCHAR(32) NOT NULL,
    -- lower-cased username: uniqueness is case-insensitive on both backends
    username_key VARCHAR(32) NOT NULL,
    password_hash VARCHAR(60) NOT NULL,
    role VARCHAR(16) NOT NULL DEFAULT 'user',
    created_at DATETIME(6) NOT NULL,
    UNIQUE KEY accounts_username_key (username_key),
    CONSTRAINT accounts_role_check CHECK (role IN ('user', 'moderator', 'admin'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE auth_tokens (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    account_id BIGINT NOT NULL,
    -- SHA-256 of the token, hex: the token itself is never stored
    token_hash CHAR(64) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    UNIQUE KEY auth_tokens_hash (token_hash),
    KEY auth_tokens_account (account_id),
    CONSTRAINT auth_tokens_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Every login and resume attempt. No foreign key: the record outlives the account.
CREATE TABLE login_events (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    account_id BIGINT NULL,
    username VARCHAR(64) NOT NULL,
    ip VARCHAR(64) NOT NULL,
    success BOOLEAN NOT NULL,
    reason VARCHAR(32) NULL,
    at DATETIME(6) NOT NULL,
    KEY login_events_at (at),
    KEY login_events_account_at (account_id, at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE daily_logins (
    day DATE NOT NULL,
    account_id BIGINT NOT NULL,
    first_at DATETIME(6) NOT NULL,
    last_at DATETIME(6) NOT NULL,
    logins INT NOT NULL,
    PRIMARY KEY (day, account_id),
    KEY daily_logins_account (account_id, day)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
