-- Back to the old CHECK; records of the newer actions are dropped.
CREATE TABLE moderation_actions_new (
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
INSERT INTO moderation_actions_new (id, action, target_id, actor_id, room_id, reason, until, at, detail)
    SELECT id, action, target_id, actor_id, room_id, reason, until, at, detail
    FROM moderation_actions WHERE action IN ('kick', 'mute', 'unmute', 'ban', 'unban', 'set_role', 'delete_message', 'filter_block', 'auto_mute', 'filter_add', 'filter_remove') ORDER BY id;
-- AUTOINCREMENT never reuses an id: the new table carries on from the old
-- one's counter, not from its highest remaining row.
DELETE FROM sqlite_sequence WHERE name = 'moderation_actions_new';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'moderation_actions_new', seq FROM sqlite_sequence WHERE name = 'moderation_actions';
DROP TABLE moderation_actions;
ALTER TABLE moderation_actions_new RENAME TO moderation_actions;
CREATE INDEX moderation_actions_target_at ON moderation_actions (target_id, at);
CREATE INDEX moderation_actions_actor_at ON moderation_actions (actor_id, at);
CREATE INDEX moderation_actions_at ON moderation_actions (at);
