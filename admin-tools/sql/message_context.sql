-- The context of a reported message: the ten messages before it and the ten after it in its room.
-- Parameters:
--   :id  the id of the reported message
--
-- reported is 1 on the message itself and 0 on the others. Deleted messages
-- are included (deleted_at is set, text is the original). Only room messages
-- of the same room count as context; whispers and announcements do not.
-- If the id is a whisper or an announcement, only that text is returned.
-- Each half is its own derived table with ORDER BY ... LIMIT 10, which reads
-- just 10 rows of the (room_id, id) index, however big the room.
SELECT id, at, sender, text, deleted_at, reported
FROM (
    -- the ten messages before it (the ten highest ids below it)
    SELECT * FROM (
        SELECT c.id, c.at, c.sender_name AS sender, c.text, c.deleted_at, 0 AS reported
        FROM chat_logs rep
        JOIN chat_logs c ON c.room_id = rep.room_id
        WHERE rep.id = :id
          AND c.kind = 'message'
          AND c.id < rep.id
        ORDER BY c.id DESC
        LIMIT 10
    ) earlier
    UNION ALL
    -- the message itself
    SELECT rep.id, rep.at, rep.sender_name AS sender, rep.text, rep.deleted_at, 1 AS reported
    FROM chat_logs rep
    WHERE rep.id = :id
    UNION ALL
    -- the ten messages after it
    SELECT * FROM (
        SELECT c.id, c.at, c.sender_name AS sender, c.text, c.deleted_at, 0 AS reported
        FROM chat_logs rep
        JOIN chat_logs c ON c.room_id = rep.room_id
        WHERE rep.id = :id
          AND c.kind = 'message'
          AND c.id > rep.id
        ORDER BY c.id
        LIMIT 10
    ) later
) context
ORDER BY id;
