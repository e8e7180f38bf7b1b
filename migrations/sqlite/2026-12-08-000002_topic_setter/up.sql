-- Who set a room's topic and when (IRC's 333, `rooms`' topic_by/topic_at):
-- the latest `set_topic` record says so too, but a room listing must not
-- search each room's records. Filled from those records for existing rooms.
-- No foreign key: like the records, the fact outlives the account.
ALTER TABLE rooms ADD COLUMN topic_by BIGINT NULL;
ALTER TABLE rooms ADD COLUMN topic_at TIMESTAMP NULL;
UPDATE rooms SET
    topic_by = (SELECT m.actor_id FROM moderation_actions m
                WHERE m.room_id = rooms.id AND m.action = 'set_topic'
                ORDER BY m.id DESC LIMIT 1),
    topic_at = (SELECT m.at FROM moderation_actions m
                WHERE m.room_id = rooms.id AND m.action = 'set_topic'
                ORDER BY m.id DESC LIMIT 1)
    WHERE topic <> '';
