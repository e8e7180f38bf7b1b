-- Every action name the contract lists: set_password (modchat-admin user
-- passwd) and the room acts (set_room_role, set_topic, set_capacity,
-- delete_room), so the rooms work needs no second change of the CHECK.
-- One statement: MariaDB runs no DDL in a transaction, and two would leave
-- the table without its CHECK if the second failed.
ALTER TABLE moderation_actions
    DROP CONSTRAINT moderation_actions_action_check,
    ADD CONSTRAINT moderation_actions_action_check CHECK (action IN ('kick', 'mute', 'unmute', 'ban', 'unban', 'set_role', 'delete_message', 'filter_block', 'auto_mute', 'filter_add', 'filter_remove', 'set_room_role', 'set_topic', 'set_capacity', 'delete_room', 'set_password'));
