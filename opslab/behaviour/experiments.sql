-- A/B readouts (opslab/experiments.py): per-user outcomes after exposure and in the pre-period.
-- Written once for DuckDB and Spark: times are epoch microseconds as date_diff('microsecond')
-- from 1970 gives them on both, and conditional aggregates are CASE expressions (no FILTER).

-- name: ab_user_metrics
-- `asg` holds one row per assigned user: rid (row number), uid (-1 when the user never appears in the data),
-- variant, exposure (timestamp). Outcomes count from exposure for $window_us microseconds
-- (and never after $stop); the pre-period is the $pre_days days before exposure (CUPED).
-- Retention day N: active on calendar day exposure_day + $ret_day; NULL while that day is
-- still in the future at the data's end ($last_day).
WITH a0 AS (
    SELECT rid, uid, variant, exposure,
           date_diff('microsecond', TIMESTAMP '1970-01-01 00:00:00', exposure) AS x0,
           date_diff('microsecond', TIMESTAMP '1970-01-01 00:00:00', CAST($stop AS TIMESTAMP)) AS xs
    FROM asg
),
a AS (
    SELECT rid, uid, variant, exposure, x0, CAST(exposure AS DATE) AS day0,
           least(x0 + $window_us, xs) AS x1, x0 - $pre_days * 86400000000 AS xp
    FROM a0
),
e AS (
    SELECT uid, date_diff('microsecond', TIMESTAMP '1970-01-01 00:00:00', event_time) AS t
    FROM ev WHERE event_name = $event
),
o AS (
    SELECT uid, date_diff('microsecond', TIMESTAMP '1970-01-01 00:00:00', order_time) AS t, amount
    FROM od WHERE status = 'paid'
),
conv AS (
    SELECT a.uid,
           count(CASE WHEN e.t >= a.x0 AND e.t < a.x1 THEN 1 END) AS n_post,
           count(CASE WHEN e.t >= a.xp AND e.t < a.x0 THEN 1 END) AS n_pre
    FROM a JOIN e ON e.uid = a.uid
    GROUP BY a.uid
),
money AS (
    SELECT a.uid,
           sum(CASE WHEN o.t >= a.x0 AND o.t < a.x1 THEN o.amount END) AS rev_post,
           count(CASE WHEN o.t >= a.x0 AND o.t < a.x1 THEN 1 END) AS ord_post,
           sum(CASE WHEN o.t >= a.xp AND o.t < a.x0 THEN o.amount END) AS rev_pre,
           count(CASE WHEN o.t >= a.xp AND o.t < a.x0 THEN 1 END) AS ord_pre
    FROM a JOIN o ON o.uid = a.uid
    GROUP BY a.uid
),
act AS (
    SELECT a.uid,
           max(CASE WHEN d.day = a.day0 + $ret_day THEN 1 ELSE 0 END) AS retained,
           count(CASE WHEN d.day < a.day0 AND d.day >= a.day0 - $pre_days THEN 1 END) AS days_pre
    FROM a JOIN user_day d ON d.uid = a.uid
    GROUP BY a.uid
)
SELECT a.rid, a.uid, a.variant, a.exposure,
       CAST(coalesce(conv.n_post, 0) AS BIGINT) AS n_post, CAST(coalesce(conv.n_pre, 0) AS BIGINT) AS n_pre,
       CAST(coalesce(money.rev_post, 0) AS DOUBLE) AS rev_post, CAST(coalesce(money.ord_post, 0) AS BIGINT) AS ord_post,
       CAST(coalesce(money.rev_pre, 0) AS DOUBLE) AS rev_pre, CAST(coalesce(money.ord_pre, 0) AS BIGINT) AS ord_pre,
       CASE WHEN a.day0 + $ret_day <= CAST($last_day AS DATE) THEN coalesce(act.retained, 0) END AS retained,
       CAST(coalesce(act.days_pre, 0) AS BIGINT) AS days_pre
FROM a
LEFT JOIN conv ON conv.uid = a.uid
LEFT JOIN money ON money.uid = a.uid
LEFT JOIN act ON act.uid = a.uid
ORDER BY a.rid;

-- name: ab_daily_outcomes
-- The same outcomes day by day after exposure (one row per assigned user and day with any),
-- so a look on day d can be read with only what was known by then (sequential p-values).
WITH a0 AS (
    SELECT rid, uid, date_diff('microsecond', TIMESTAMP '1970-01-01 00:00:00', exposure) AS x0,
           date_diff('microsecond', TIMESTAMP '1970-01-01 00:00:00', CAST($stop AS TIMESTAMP)) AS xs
    FROM asg
),
a AS (SELECT rid, uid, x0, least(x0 + $window_us, xs) AS x1 FROM a0),
e AS (
    SELECT uid, event_time, date_diff('microsecond', TIMESTAMP '1970-01-01 00:00:00', event_time) AS t
    FROM ev WHERE event_name = $event
),
o AS (
    SELECT uid, order_time, amount, date_diff('microsecond', TIMESTAMP '1970-01-01 00:00:00', order_time) AS t
    FROM od WHERE status = 'paid'
)
SELECT rid, day, CAST(sum(conv) AS BIGINT) AS conv, CAST(sum(rev) AS DOUBLE) AS rev, CAST(sum(ord) AS BIGINT) AS ord
FROM (
    SELECT a.rid, CAST(e.event_time AS DATE) AS day, 1 AS conv, CAST(0 AS DOUBLE) AS rev, 0 AS ord
    FROM a JOIN e ON e.uid = a.uid
    WHERE e.t >= a.x0 AND e.t < a.x1
    UNION ALL
    SELECT a.rid, CAST(o.order_time AS DATE) AS day, 0 AS conv, o.amount AS rev, 1 AS ord
    FROM a JOIN o ON o.uid = a.uid
    WHERE o.t >= a.x0 AND o.t < a.x1
) x
GROUP BY rid, day
ORDER BY rid, day;

-- name: ab_first_events
-- Each user's first event at or after $start (the exposure of an assignment without times).
SELECT uid, min(event_time) AS event_time
FROM ev
WHERE event_time >= CAST($start AS TIMESTAMP)
GROUP BY uid
ORDER BY uid;
