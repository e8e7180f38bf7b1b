-- Every moderation act made by one moderator or admin.
-- Parameters:
--   :moderator  the username of the moderator or admin (any case)
--
-- One row per entry of moderation_actions whose actor is that account,
-- oldest first. target and room are current names (NULL when there is none
-- or it is gone). until is the end of a mute or ban (NULL for an indefinite
-- one, or for acts that have no end). detail is the message id of a
-- delete_message, the word of filter_add and filter_remove, the new role of a
-- set_role.
-- Acts of the system (automatic mutes, filter blocks) and role changes made
-- with modchat-admin user set-role have no actor, so they never appear here.
SELECT
    m.id          AS id,
    m.at          AS at,
    m.action      AS action,
    t.username    AS target,
    r.name        AS room,
    m.reason      AS reason,
    m.until       AS until,
    m.detail      AS detail
FROM moderation_actions m
JOIN accounts actor ON actor.id = m.actor_id
LEFT JOIN accounts t ON t.id = m.target_id
LEFT JOIN rooms r    ON r.id = m.room_id
WHERE actor.username_key = LOWER(:moderator)
ORDER BY m.id;
