-- Records of the newer actions would break the old CHECK: they go first.
DELETE FROM moderation_actions WHERE action NOT IN ('kick', 'mute', 'unmute', 'ban', 'unban', 'set_role', 'delete_message', 'filter_block', 'auto_mute', 'filter_add', 'filter_remove');
ALTER TABLE moderation_actions
    DROP CONSTRAINT moderation_actions_action_check,
    ADD CONSTRAINT moderation_actions_action_check CHECK (action IN ('kick', 'mute', 'unmute', 'ban', 'unban', 'set_role', 'delete_message', 'filter_block', 'auto_mute', 'filter_add', 'filter_remove'));
