ALTER TABLE rooms DROP COLUMN topic_at;
ALTER TABLE rooms DROP COLUMN topic_by;
