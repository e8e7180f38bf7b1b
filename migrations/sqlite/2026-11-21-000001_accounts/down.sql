DROP TABLE daily_logins;
DROP TABLE login_events;
DROP TABLE auth_tokens;
DROP TABLE accounts;
