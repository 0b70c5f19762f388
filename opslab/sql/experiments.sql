-- A/B readouts (opslab/experiments.py): per-user outcomes after exposure and in the pre-period.

-- name: ab_user_metrics
-- `asg` holds one row per assigned user: rid (row number), uid (-1 when the user never appears in the data),
-- variant, exposure (timestamp). Outcomes count from exposure for $window_us microseconds
-- (and never after $stop); the pre-period is the $pre_days days before exposure (CUPED).
-- Retention day N: active on calendar day exposure_day + $ret_day; NULL while that day is
-- still in the future at the data's end ($last_day).
WITH a AS (
    SELECT rid, uid, variant, exposure, epoch_us(exposure) AS x0, CAST(exposure AS DATE) AS day0,
           least(epoch_us(exposure) + $window_us, epoch_us($stop)) AS x1,
           epoch_us(exposure) - $pre_days * 86400000000 AS xp
    FROM asg
),
conv AS (
    SELECT a.uid,
           count(*) FILTER (WHERE epoch_us(e.event_time) >= a.x0 AND epoch_us(e.event_time) < a.x1) AS n_post,
           count(*) FILTER (WHERE epoch_us(e.event_time) >= a.xp AND epoch_us(e.event_time) < a.x0) AS n_pre
    FROM a JOIN ev e ON e.uid = a.uid AND e.event_name = $event
    GROUP BY a.uid
),
money AS (
    SELECT a.uid,
           sum(o.amount) FILTER (WHERE epoch_us(o.order_time) >= a.x0 AND epoch_us(o.order_time) < a.x1) AS rev_post,
           count(*) FILTER (WHERE epoch_us(o.order_time) >= a.x0 AND epoch_us(o.order_time) < a.x1) AS ord_post,
           sum(o.amount) FILTER (WHERE epoch_us(o.order_time) >= a.xp AND epoch_us(o.order_time) < a.x0) AS rev_pre,
           count(*) FILTER (WHERE epoch_us(o.order_time) >= a.xp AND epoch_us(o.order_time) < a.x0) AS ord_pre
    FROM a JOIN od o ON o.uid = a.uid AND o.status = 'paid'
    GROUP BY a.uid
),
act AS (
    SELECT a.uid,
           max(CASE WHEN d.day = a.day0 + $ret_day THEN 1 ELSE 0 END) AS retained,
           count(*) FILTER (WHERE d.day < a.day0 AND d.day >= a.day0 - $pre_days) AS days_pre
    FROM a JOIN user_day d ON d.uid = a.uid
    GROUP BY a.uid
)
SELECT a.rid, a.uid, a.variant, a.exposure,
       coalesce(conv.n_post, 0)::BIGINT AS n_post, coalesce(conv.n_pre, 0)::BIGINT AS n_pre,
       coalesce(money.rev_post, 0)::DOUBLE AS rev_post, coalesce(money.ord_post, 0)::BIGINT AS ord_post,
       coalesce(money.rev_pre, 0)::DOUBLE AS rev_pre, coalesce(money.ord_pre, 0)::BIGINT AS ord_pre,
       CASE WHEN a.day0 + $ret_day <= CAST($last_day AS DATE) THEN coalesce(act.retained, 0) END AS retained,
       coalesce(act.days_pre, 0)::BIGINT AS days_pre
FROM a
LEFT JOIN conv ON conv.uid = a.uid
LEFT JOIN money ON money.uid = a.uid
LEFT JOIN act ON act.uid = a.uid
ORDER BY a.rid;

-- name: ab_daily_outcomes
-- The same outcomes day by day after exposure (one row per assigned user and day with any),
-- so a look on day d can be read with only what was known by then (sequential p-values).
WITH a AS (
    SELECT rid, uid, epoch_us(exposure) AS x0, least(epoch_us(exposure) + $window_us, epoch_us($stop)) AS x1
    FROM asg
)
SELECT rid, day, sum(conv)::BIGINT AS conv, sum(rev)::DOUBLE AS rev, sum(ord)::BIGINT AS ord
FROM (
    SELECT a.rid, CAST(e.event_time AS DATE) AS day, 1 AS conv, 0.0 AS rev, 0 AS ord
    FROM a JOIN ev e ON e.uid = a.uid AND e.event_name = $event
    WHERE epoch_us(e.event_time) >= a.x0 AND epoch_us(e.event_time) < a.x1
    UNION ALL
    SELECT a.rid, CAST(o.order_time AS DATE) AS day, 0 AS conv, o.amount AS rev, 1 AS ord
    FROM a JOIN od o ON o.uid = a.uid AND o.status = 'paid'
    WHERE epoch_us(o.order_time) >= a.x0 AND epoch_us(o.order_time) < a.x1
)
GROUP BY ALL
ORDER BY rid, day;
