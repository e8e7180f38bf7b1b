-- Mutes and bans in force: the Moderation actor's state, loaded at start so
-- that they survive restarts. The history of them is moderation_actions.
CREATE TABLE mutes (
    account_id BIGINT NOT NULL,
    -- 0: a global mute; otherwise the room it applies to
    room_id BIGINT NOT NULL DEFAULT 0,
    until DATETIME(6) NULL,
    reason TEXT NULL,
    actor_id BIGINT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (account_id, room_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE bans (
    account_id BIGINT NOT NULL PRIMARY KEY,
    until DATETIME(6) NULL,
    reason TEXT NULL,
    actor_id BIGINT NULL,
    created_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
