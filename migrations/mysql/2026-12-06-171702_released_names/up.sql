-- Names given up by `rename`: held for their old owner for
-- [auth] name_hold_days. No foreign key: the hold outlives the account.
CREATE TABLE released_names (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    account_id BIGINT NOT NULL,
    name VARCHAR(32) NOT NULL,
    -- lower case, as accounts.username_key
    name_key VARCHAR(32) NOT NULL,
    -- as accounts.name_skeleton
    skeleton VARCHAR(128) NOT NULL,
    released_at DATETIME(6) NOT NULL,
    KEY released_names_skeleton (skeleton, released_at),
    KEY released_names_key (name_key, released_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
