-- Failed login and resume attempts per IP address over the last hour.
-- Parameters: none
--
-- failures counts every refused attempt from that address: wrong password or
-- unknown user (bad_credentials), bad or expired token (bad_token), banned
-- account (banned) and attempts refused by the rate limit (rate_limited).
-- first_at and last_at are the first and last of them in the hour.
-- The hour starts at the current second (datetime() has no fraction), as in
-- the MariaDB version. To see the attempts themselves, run
-- modchat-admin logs logins --failed --since T.
SELECT
    l.ip          AS ip,
    COUNT(*)      AS failures,
    MIN(l.at)     AS first_at,
    MAX(l.at)     AS last_at
FROM login_events l
WHERE l.success = 0
  AND l.at >= datetime('now', '-1 hour')
GROUP BY l.ip
ORDER BY failures DESC, l.ip;
