-- Deleted rooms go (their names may be taken again by now), with their
-- members; everything else of issue 18 is dropped.
DROP INDEX moderation_actions_room;
DROP TABLE read_markers;
DROP TABLE room_bans;
DROP INDEX chat_logs_conversation;
DROP INDEX chat_logs_room_at;
ALTER TABLE chat_logs DROP COLUMN action;
ALTER TABLE room_members DROP COLUMN room_role;
DELETE FROM rooms WHERE deleted_at IS NOT NULL;
DROP INDEX rooms_name;
DROP INDEX rooms_live_name;
CREATE UNIQUE INDEX rooms_name ON rooms (name);
ALTER TABLE rooms DROP COLUMN deleted_at;
ALTER TABLE rooms DROP COLUMN topic;
