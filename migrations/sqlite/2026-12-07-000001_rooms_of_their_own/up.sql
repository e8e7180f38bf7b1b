-- Rooms of their own (issue 18): topics, room deletion, room roles, room
-- bans, emotes, read markers and the indexes of the history modes.

-- A room's topic ('' = none) and its deletion. A deleted room keeps its row
-- (the chat log and the records point at its id); only a live room's name
-- is unique, so a deleted room's name is free again.
ALTER TABLE rooms ADD COLUMN topic TEXT NOT NULL DEFAULT '';
ALTER TABLE rooms ADD COLUMN deleted_at TIMESTAMP NULL;
DROP INDEX rooms_name;
CREATE UNIQUE INDEX rooms_live_name ON rooms (name) WHERE deleted_at IS NULL;
CREATE INDEX rooms_name ON rooms (name);

-- A member's standing in the room. Ownership follows rooms.created_by: the
-- existing rooms' creators become their owners.
ALTER TABLE room_members ADD COLUMN room_role TEXT NOT NULL DEFAULT 'member'
    CHECK (room_role IN ('owner', 'op', 'member'));
UPDATE room_members SET room_role = 'owner'
    WHERE account_id = (SELECT created_by FROM rooms WHERE rooms.id = room_members.room_id);

-- Emotes (/me). The history modes: a room by time, and a whisper
-- conversation as two (sender, recipient) ranges by id.
ALTER TABLE chat_logs ADD COLUMN action BOOLEAN NOT NULL DEFAULT 0;
CREATE INDEX chat_logs_room_at ON chat_logs (room_id, at);
CREATE INDEX chat_logs_conversation ON chat_logs (sender_id, recipient_id, id);

-- Room bans in force, like bans, per room (the history is moderation_actions).
CREATE TABLE room_bans (
    account_id BIGINT NOT NULL,
    room_id BIGINT NOT NULL,
    until TIMESTAMP NULL,
    reason TEXT NULL,
    actor_id BIGINT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, room_id)
);
CREATE INDEX room_bans_room ON room_bans (room_id);

-- How far an account has read a room, or a whisper conversation with a
-- peer: exactly one of room_id and peer_id is set, and there is one row per
-- (account, room) and per (account, peer) (NULLs never collide in a unique
-- index, so the two indexes do not get in each other's way).
CREATE TABLE read_markers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    room_id BIGINT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    peer_id BIGINT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    last_read_id BIGINT NOT NULL,
    at TIMESTAMP NOT NULL,
    CHECK ((room_id IS NULL) <> (peer_id IS NULL))
);
CREATE UNIQUE INDEX read_markers_room ON read_markers (account_id, room_id);
CREATE UNIQUE INDEX read_markers_peer ON read_markers (account_id, peer_id);

-- modlog with `room` (an owner reading their room's record, `logs modlog
-- --room`): newest first within one room
CREATE INDEX moderation_actions_room ON moderation_actions (room_id, id);
