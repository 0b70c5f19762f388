-- name: user_day
-- One row per user and active day: a day with at least one event or a paid order.
CREATE OR REPLACE TABLE user_day AS
SELECT uid, day, sum(n_events)::INTEGER AS n_events
FROM (
    SELECT uid, CAST(event_time AS DATE) AS day, count(*) AS n_events FROM ev GROUP BY ALL
    UNION ALL
    SELECT uid, CAST(order_time AS DATE) AS day, 0 AS n_events FROM od WHERE status = 'paid' GROUP BY ALL
)
GROUP BY ALL;

-- name: paid_day
-- One row per user and day with paid orders (refunded orders excluded).
CREATE OR REPLACE TABLE paid_day AS
SELECT uid, CAST(order_time AS DATE) AS day, sum(amount) AS gmv, count(*)::INTEGER AS n_orders
FROM od
WHERE status = 'paid'
GROUP BY ALL;

-- name: user_first
-- Per user: signup day, first and last active day, first paid day, whether the signup is unknown.
CREATE OR REPLACE TABLE user_first AS
SELECT u.uid,
       CAST(u.signup_time AS DATE) AS signup_day,
       a.first_active, a.last_active, p.first_paid,
       u.censored  -- signup unknown (first seen in the data's first days): not a new user
FROM us u
LEFT JOIN (SELECT uid, min(day) AS first_active, max(day) AS last_active FROM user_day GROUP BY uid) a USING (uid)
LEFT JOIN (SELECT uid, min(day) AS first_paid FROM paid_day GROUP BY uid) p USING (uid);
