-- Names given up by `rename`: held for their old owner for
-- [auth] name_hold_days. No foreign key: the hold outlives the account.
CREATE TABLE released_names (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    -- lower case, as accounts.username_key
    name_key TEXT NOT NULL,
    -- as accounts.name_skeleton
    skeleton TEXT NOT NULL,
    released_at TIMESTAMP NOT NULL
);
CREATE INDEX released_names_skeleton ON released_names (skeleton, released_at);
CREATE INDEX released_names_key ON released_names (name_key, released_at);
