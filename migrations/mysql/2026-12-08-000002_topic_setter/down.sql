ALTER TABLE rooms DROP COLUMN topic_at, DROP COLUMN topic_by;
