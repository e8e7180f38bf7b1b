-- The one append-only record of moderation. No foreign keys: the record
-- outlives the accounts, rooms and messages it names.
CREATE TABLE moderation_actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    action TEXT NOT NULL CHECK (action IN ('kick', 'mute', 'unmute', 'ban', 'unban', 'set_role', 'delete_message', 'filter_block', 'auto_mute', 'filter_add', 'filter_remove')),
    target_id BIGINT NULL,
    actor_id BIGINT NULL,
    room_id BIGINT NULL,
    reason TEXT NULL,
    until TIMESTAMP NULL,
    at TIMESTAMP NOT NULL,
    -- what the action was about beyond its target: the message id of a
    -- delete_message, the word of a filter action, the new role of a set_role
    detail TEXT NULL
);
CREATE INDEX moderation_actions_target_at ON moderation_actions (target_id, at);
CREATE INDEX moderation_actions_actor_at ON moderation_actions (actor_id, at);
CREATE INDEX moderation_actions_at ON moderation_actions (at);

CREATE TABLE banned_words (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    word TEXT NOT NULL,
    added_by BIGINT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX banned_words_word ON banned_words (word);
