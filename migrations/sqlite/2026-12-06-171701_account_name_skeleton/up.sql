-- The look-alike key of each name (TR39 skeleton, case folded; src/names.rs).
-- SQL cannot compute it: the server fills rows where it is NULL at start,
-- oldest account first. Unique, so two racing registrations of look-alike
-- names cannot both succeed; an account whose name already looked like an
-- older account's keeps NULL (several NULLs are allowed) and is checked in Rust.
ALTER TABLE accounts ADD COLUMN name_skeleton TEXT NULL;
CREATE UNIQUE INDEX accounts_name_skeleton ON accounts (name_skeleton);
