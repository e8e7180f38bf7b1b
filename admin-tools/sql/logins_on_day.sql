-- Who logged in on a given UTC day, with their first and last login of that day.
-- Parameters:
--   :day  the UTC day, YYYY-MM-DD
--
-- One row per account that logged in (or resumed a session) successfully at
-- least once that day; logins is how many successful logins and resumes it
-- made. Failed attempts are not counted here: see login_events
-- (modchat-admin logs logins --day D --failed).
-- user is the account's current name; it is NULL if the account is gone.
SELECT
    a.username   AS user,
    d.first_at   AS first_at,
    d.last_at    AS last_at,
    d.logins     AS logins
FROM daily_logins d
LEFT JOIN accounts a ON a.id = d.account_id
WHERE d.day = :day
ORDER BY d.first_at, a.username, d.account_id;
