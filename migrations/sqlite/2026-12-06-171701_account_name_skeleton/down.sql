DROP INDEX accounts_name_skeleton;
ALTER TABLE accounts DROP COLUMN name_skeleton;
