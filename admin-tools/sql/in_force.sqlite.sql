-- The mutes and bans in force now.
-- Parameters: none
--
-- kind is 'mute' or 'ban'. room is the room of a room mute, NULL for a
-- global mute and for a ban. until is when it ends by itself (NULL: it lasts
-- until someone unmutes or unbans). by is the moderator or admin who imposed it,
-- NULL for the system (an automatic mute after repeated filter blocks).
-- since is when it was imposed. Rows of the mutes and bans tables whose until
-- has passed are stale and left out. The history of every mute and ban,
-- ended ones included, is moderation_actions (modchat-admin logs modlog).
-- julianday() compares to the millisecond (datetime('now') would drop the
-- fraction of the current second).
SELECT kind, user, room, until, reason, `by`, since
FROM (
    SELECT
        'mute'          AS kind,
        a.username      AS user,
        r.name          AS room,
        m.until         AS until,
        m.reason        AS reason,
        actor.username  AS `by`,
        m.created_at    AS since,
        m.account_id    AS account_id,
        m.room_id       AS room_id
    FROM mutes m
    LEFT JOIN accounts a     ON a.id = m.account_id
    LEFT JOIN rooms r        ON r.id = m.room_id   -- room_id 0 (global) matches no room
    LEFT JOIN accounts actor ON actor.id = m.actor_id
    WHERE m.until IS NULL OR julianday(m.until) > julianday('now')
    UNION ALL
    SELECT
        'ban'           AS kind,
        a.username      AS user,
        NULL            AS room,
        b.until         AS until,
        b.reason        AS reason,
        actor.username  AS `by`,
        b.created_at    AS since,
        b.account_id    AS account_id,
        0               AS room_id
    FROM bans b
    LEFT JOIN accounts a     ON a.id = b.account_id
    LEFT JOIN accounts actor ON actor.id = b.actor_id
    WHERE b.until IS NULL OR julianday(b.until) > julianday('now')
) in_force
ORDER BY kind, user, room, account_id, room_id;
