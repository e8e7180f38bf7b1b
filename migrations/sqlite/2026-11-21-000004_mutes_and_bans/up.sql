-- Mutes and bans in force: the Moderation actor's state, loaded at start so
-- that they survive restarts. The history of them is moderation_actions.
CREATE TABLE mutes (
    account_id BIGINT NOT NULL,
    -- 0: a global mute; otherwise the room it applies to
    room_id BIGINT NOT NULL DEFAULT 0,
    until TIMESTAMP NULL,
    reason TEXT NULL,
    actor_id BIGINT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, room_id)
);

CREATE TABLE bans (
    account_id BIGINT NOT NULL PRIMARY KEY,
    until TIMESTAMP NULL,
    reason TEXT NULL,
    actor_id BIGINT NULL,
    created_at TIMESTAMP NOT NULL
);
