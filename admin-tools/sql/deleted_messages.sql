-- Which texts were deleted, when, and by whom.
-- Parameters: none
--
-- One row per deleted text, in the order they were deleted. text is the
-- original text (the chat log keeps it). sender is the name the sender had
-- when the text was sent; deleted_by is the current name of the moderator
-- or admin who deleted it. The matching delete_message entry in
-- moderation_actions has the text's id in its detail column.
SELECT
    c.id            AS id,
    c.at            AS at,
    c.kind          AS kind,
    r.name          AS room,
    c.sender_name   AS sender,
    c.text          AS text,
    c.deleted_at    AS deleted_at,
    d.username      AS deleted_by
FROM chat_logs c
LEFT JOIN rooms r    ON r.id = c.room_id
LEFT JOIN accounts d ON d.id = c.deleted_by
WHERE c.deleted_at IS NOT NULL
ORDER BY c.deleted_at, c.id;
