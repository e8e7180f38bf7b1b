-- Everything done in one room by its own operators (its owner and its ops).
-- Parameters:
--   :room  the room's name (any case); every room that has or had that name
--
-- One row per entry of moderation_actions whose room_id is the room's and
-- whose actor was the room's owner or an op, oldest first.
-- Room roles change (an op may be demoted, or leave), and the record does
-- not keep the actor's room role, so "the room's owner or an op at the
-- time" is defined as: an actor whose site role is 'user' (accounts.role),
-- i.e. not a site moderator or admin. The server lets a plain user act in
-- a room only while they are its owner or an op, so every such act was an
-- operator's. Left out: the site's moderators and admins (see
-- moderator_acts), acts with no actor (the system, the console), and the
-- word filter's own records (filter_block, auto_mute).
-- Caveat: accounts.role is today's site role. An account that was a
-- moderator when it acted and has since been made a plain user counts
-- here; one made a moderator since it acted as an op does not. The
-- set_role entries of moderation_actions tell when a site role changed.
-- A deleted room keeps its row and its name, and a new room may take the
-- name again: rows of every room that had the name are listed, and
-- room_id and room_deleted_at (NULL while the room exists) tell them apart.
-- by is the actor's current name; by_room_role is their room_role in that
-- room now ('owner', 'op', 'member'; NULL: no longer a member, and always
-- NULL in a deleted room, whose members were removed), not necessarily the
-- one they had when they acted. target is the account
-- acted on (NULL for set_topic, set_capacity and delete_room, which act on
-- the room). detail is the message id of a delete_message, the new
-- room_role of a set_room_role, the new topic of a set_topic, the new
-- capacity of a set_capacity.
SELECT
    m.id            AS id,
    m.at            AS at,
    m.action        AS action,
    actor.username  AS `by`,
    rm.room_role    AS by_room_role,
    t.username      AS target,
    m.reason        AS reason,
    m.until         AS until,
    m.detail        AS detail,
    r.id            AS room_id,
    r.deleted_at    AS room_deleted_at
FROM rooms r
JOIN moderation_actions m  ON m.room_id = r.id
JOIN accounts actor        ON actor.id = m.actor_id
LEFT JOIN accounts t       ON t.id = m.target_id
LEFT JOIN room_members rm  ON rm.room_id = r.id AND rm.account_id = m.actor_id
WHERE r.name = LOWER(:room)
  AND actor.role = 'user'
  AND m.action NOT IN ('filter_block', 'auto_mute')
ORDER BY m.id;
