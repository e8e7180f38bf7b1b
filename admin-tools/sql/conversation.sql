-- Everything one user said, and every whisper sent to them, over a period.
-- Parameters:
--   :user  the username (any case)
--   :since  the start of the period, UTC, included
--   :until  the end of the period, UTC, excluded
--
-- Rows are the user's room messages, whispers and announcements, plus the
-- whispers other users sent to them, in the order they were sent (by id).
-- room is NULL for whispers and announcements. sender is the name the sender
-- had when the text was sent; recipient is the recipient's current name
-- (whispers only). Deleted texts are included: deleted_at is set on them,
-- and text is the original text.
-- The user is found by their current name; their texts are matched by
-- account id, so texts sent under an earlier name are included.
WITH texts AS (
    -- what the user sent
    SELECT c.*
    FROM chat_logs c
    JOIN accounts u ON u.id = c.sender_id
    WHERE u.username_key = LOWER(:user)
      AND c.at >= :since AND c.at < :until
    UNION
    -- whispers sent to the user (UNION, not UNION ALL, so that a text
    -- cannot appear twice)
    SELECT c.*
    FROM chat_logs c
    JOIN accounts u ON u.id = c.recipient_id
    WHERE u.username_key = LOWER(:user)
      AND c.kind = 'whisper'
      AND c.at >= :since AND c.at < :until
)
SELECT
    t.id            AS id,
    t.at            AS at,
    t.kind          AS kind,
    r.name          AS room,
    t.sender_name   AS sender,
    rcpt.username   AS recipient,
    t.text          AS text,
    t.deleted_at    AS deleted_at
FROM texts t
LEFT JOIN rooms r       ON r.id = t.room_id
LEFT JOIN accounts rcpt ON rcpt.id = t.recipient_id
ORDER BY t.id;
