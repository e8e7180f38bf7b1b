DROP INDEX accounts_name_skeleton ON accounts;
ALTER TABLE accounts DROP COLUMN name_skeleton;
