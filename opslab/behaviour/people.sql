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

-- name: people_events_refunds
-- Per user, up to $last: events, and the refunds GMV subtracts beyond the paid orders
-- (refund_day.net_less, the net rule) -- the two figures of a user's story that the per-user
-- feature table (opslab/dataset/features.sql) does not define; the active days, orders and paid
-- amount are read from that table (people.facts_on). Users with neither are omitted.
SELECT uid, CAST(sum(events) AS BIGINT) AS events, CAST(sum(net_less) AS DOUBLE) AS net_less
FROM (SELECT uid, n_events AS events, 0 AS net_less FROM user_day WHERE day <= CAST($last AS DATE)
      UNION ALL
      SELECT uid, 0 AS events, net_less FROM refund_day WHERE net_less > 0 AND day <= CAST($last AS DATE)) m
GROUP BY uid
ORDER BY uid;

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
