-- Deleted rooms go (their names may be taken again by now), with their
-- members; everything else of issue 18 is dropped.
DROP INDEX moderation_actions_room ON moderation_actions;
DROP TABLE read_markers;
DROP TABLE room_bans;
ALTER TABLE chat_logs
    DROP KEY chat_logs_conversation,
    DROP KEY chat_logs_room_at,
    DROP COLUMN action;
ALTER TABLE room_members
    DROP CONSTRAINT room_members_room_role_check,
    DROP COLUMN room_role;
UPDATE moderation_actions SET detail = LEFT(detail, 255) WHERE CHAR_LENGTH(detail) > 255;
ALTER TABLE moderation_actions MODIFY detail VARCHAR(255) NULL;
DELETE FROM rooms WHERE deleted_at IS NOT NULL;
ALTER TABLE rooms
    DROP KEY rooms_live_name,
    DROP KEY rooms_name,
    ADD UNIQUE KEY rooms_name (name),
    DROP COLUMN live_name,
    DROP COLUMN deleted_at,
    DROP COLUMN topic;
