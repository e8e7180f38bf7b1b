-- Rooms of their own (issue 18): topics, room deletion, room roles, room
-- bans, emotes, read markers and the indexes of the history modes.
-- MariaDB runs no DDL in a transaction: one ALTER per table, so a failure
-- leaves each table either as it was or complete.

-- A room's topic ('' = none) and its deletion. A deleted room keeps its row
-- (the chat log and the records point at its id); only a live room's name
-- is unique, so a deleted room's name is free again: live_name is the name
-- while the room lives and NULL after (NULLs never collide in a UNIQUE
-- index). live_name is a MariaDB-only helper, not in src/store/schema.rs.
ALTER TABLE rooms
    ADD COLUMN topic VARCHAR(300) NOT NULL DEFAULT '',
    ADD COLUMN deleted_at DATETIME(6) NULL,
    ADD COLUMN live_name VARCHAR(64) AS (IF(deleted_at IS NULL, name, NULL)) STORED,
    DROP INDEX rooms_name,
    ADD KEY rooms_name (name),
    ADD UNIQUE KEY rooms_live_name (live_name);

-- A set_topic record's detail is the topic: up to 300 characters.
ALTER TABLE moderation_actions MODIFY detail VARCHAR(300) NULL;

-- A member's standing in the room. Ownership follows rooms.created_by: the
-- existing rooms' creators become their owners.
ALTER TABLE room_members
    ADD COLUMN room_role VARCHAR(16) NOT NULL DEFAULT 'member',
    ADD CONSTRAINT room_members_room_role_check CHECK (room_role IN ('owner', 'op', 'member'));
UPDATE room_members JOIN rooms ON rooms.id = room_members.room_id
    SET room_members.room_role = 'owner'
    WHERE room_members.account_id = rooms.created_by;

-- Emotes (/me). The history modes: a room by time, and a whisper
-- conversation as two (sender, recipient) ranges by id.
ALTER TABLE chat_logs
    ADD COLUMN action BOOLEAN NOT NULL DEFAULT FALSE,
    ADD KEY chat_logs_room_at (room_id, at),
    ADD KEY chat_logs_conversation (sender_id, recipient_id, id);

-- Room bans in force, like bans, per room (the history is moderation_actions).
CREATE TABLE room_bans (
    account_id BIGINT NOT NULL,
    room_id BIGINT NOT NULL,
    until DATETIME(6) NULL,
    reason TEXT NULL,
    actor_id BIGINT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (account_id, room_id),
    KEY room_bans_room (room_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- How far an account has read a room, or a whisper conversation with a
-- peer: exactly one of room_id and peer_id is set, and there is one row per
-- (account, room) and per (account, peer) (NULLs never collide in a UNIQUE
-- index, so the two keys do not get in each other's way).
CREATE TABLE read_markers (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    account_id BIGINT NOT NULL,
    room_id BIGINT NULL,
    peer_id BIGINT NULL,
    last_read_id BIGINT NOT NULL,
    at DATETIME(6) NOT NULL,
    UNIQUE KEY read_markers_room (account_id, room_id),
    UNIQUE KEY read_markers_peer (account_id, peer_id),
    CONSTRAINT read_markers_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE,
    CONSTRAINT read_markers_room_fk FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE,
    CONSTRAINT read_markers_peer_fk FOREIGN KEY (peer_id) REFERENCES accounts (id) ON DELETE CASCADE,
    CONSTRAINT read_markers_scope_check CHECK ((room_id IS NULL) <> (peer_id IS NULL))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- modlog with `room` (an owner reading their room's record, `logs modlog
-- --room`): newest first within one room
CREATE INDEX moderation_actions_room ON moderation_actions (room_id, id);
