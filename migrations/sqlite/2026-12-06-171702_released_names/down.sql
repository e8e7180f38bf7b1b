DROP TABLE released_names;
