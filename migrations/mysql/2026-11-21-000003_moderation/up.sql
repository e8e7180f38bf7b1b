-- The one append-only record of moderation. No foreign keys: the record
-- outlives the accounts, rooms and messages it names.
CREATE TABLE moderation_actions (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    action VARCHAR(32) NOT NULL,
    target_id BIGINT NULL,
    actor_id BIGINT NULL,
    room_id BIGINT NULL,
    reason TEXT NULL,
    until DATETIME(6) NULL,
    at DATETIME(6) NOT NULL,
    -- what the action was about beyond its target: the message id of a
    -- delete_message, the word of a filter action, the new role of a set_role
    detail VARCHAR(255) NULL,
    KEY moderation_actions_target_at (target_id, at),
    KEY moderation_actions_actor_at (actor_id, at),
    KEY moderation_actions_at (at),
    CONSTRAINT moderation_actions_action_check CHECK (action IN ('kick', 'mute', 'unmute', 'ban', 'unban', 'set_role', 'delete_message', 'filter_block', 'auto_mute', 'filter_add', 'filter_remove'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE banned_words (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    word VARCHAR(64) NOT NULL,
    added_by BIGINT NULL,
    created_at DATETIME(6) NOT NULL,
    UNIQUE KEY banned_words_word (word)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
