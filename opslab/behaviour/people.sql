-- People (opslab/behaviour/people.py): the users behind a number, and one user's story.

-- name: people_active
-- Users active (an event or a paid order) on a day of the period [$period, $stop).
SELECT DISTINCT uid FROM user_day
WHERE day >= CAST($period AS DATE) AND day < CAST($stop AS DATE)
ORDER BY uid;

-- name: people_paying
-- Users with a paid order in the period [$period, $stop).
SELECT DISTINCT uid FROM paid_day
WHERE day >= CAST($period AS DATE) AND day < CAST($stop AS DATE)
ORDER BY uid;

-- name: people_new
-- New users (signup known, not censored) who signed up in the period starting $period ($grain).
SELECT uid FROM user_first
WHERE NOT censored AND CAST(date_trunc($grain, signup_day) AS DATE) = CAST($period AS DATE)
ORDER BY uid;

-- name: people_facts
-- Per user (every registered user, by uid): signup, first and last active day, active days,
-- events, paid orders and paid amount (net of refunds, as GMV) up to $last. Built once per
-- data set and day; a list of users takes its rows.
WITH a AS (
    SELECT uid, count(*) AS active_days, sum(n_events) AS events, max(day) AS last_active
    FROM user_day WHERE day <= CAST($last AS DATE) GROUP BY uid
),
p AS (
    SELECT uid, sum(n_orders) AS orders, sum(gmv) AS spend
    FROM (SELECT uid, day, n_orders, gmv FROM paid_day
          UNION ALL SELECT uid, day, 0 AS n_orders, -net_less AS gmv FROM refund_day WHERE net_less > 0) m
    WHERE day <= CAST($last AS DATE) GROUP BY uid
)
SELECT f.uid, f.signup_day, f.first_active, a.last_active,
       CAST(coalesce(a.active_days, 0) AS BIGINT) AS active_days,
       CAST(coalesce(a.events, 0) AS BIGINT) AS events,
       CAST(coalesce(p.orders, 0) AS BIGINT) AS orders,
       CAST(coalesce(p.spend, 0) AS DOUBLE) AS spend
FROM user_first f
LEFT JOIN a ON a.uid = f.uid
LEFT JOIN p ON p.uid = f.uid
ORDER BY f.uid;

-- name: people_events
-- Every event by user (uid, then time): built once per data set for the user look-up, so that
-- the engine's per-block min/max of uid skips all but the one user's blocks (a scan of the log,
-- random in uid, would read every event per look-up).
CREATE OR REPLACE TABLE people_ev AS
SELECT uid, event_time, event_name FROM ev ORDER BY uid, event_time;

-- name: people_orders
-- Every order by user (uid, then time), as people_ev.
CREATE OR REPLACE TABLE people_od AS
SELECT uid, order_time, amount, status FROM od ORDER BY uid, order_time;

-- name: people_timeline
-- One user's events and orders on one timeline (newest first), up to $stop, optionally only
-- the event names in $names ($all_names: every name; orders are kept unless $no_orders).
SELECT t, kind, name, amount, status FROM (
    SELECT event_time AS t, 'event' AS kind, event_name AS name, CAST(NULL AS DOUBLE) AS amount,
           CAST(NULL AS VARCHAR) AS status
    FROM people_ev WHERE uid = $uid AND event_time < CAST($stop AS TIMESTAMP)
      AND ($all_names OR list_contains($names, event_name))
    UNION ALL
    SELECT order_time AS t, 'order' AS kind, CAST(NULL AS VARCHAR) AS name, amount, status
    FROM people_od WHERE uid = $uid AND order_time < CAST($stop AS TIMESTAMP) AND NOT $no_orders
) x
ORDER BY t DESC, kind, name
LIMIT $limit OFFSET $offset;

-- name: people_timeline_size
-- The user's event names with how many times they did each (for the filter and the paging).
SELECT coalesce(event_name, '') AS name, count(*) AS n FROM people_ev
WHERE uid = $uid AND event_time < CAST($stop AS TIMESTAMP)
GROUP BY 1
ORDER BY n DESC, name;
