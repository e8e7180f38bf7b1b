DROP TABLE banned_words;
DROP TABLE moderation_actions;
