-- name: churn_features
-- Per eligible user at $cutoff: the churn model's features (opslab/models/churn_features.py).
-- Only days d <= $cutoff are read (the cutoff day is included, as every OpsLab "as of"), so a
-- snapshot in the past sees only what was known then. A window of N days holds the days d with
-- $cutoff - N < d <= $cutoff; "prev_N" is the N days just before it.
-- Eligible: signed up on or before $cutoff, with an active day on or before it, and (when
-- $eligible > 0) active in the last $eligible days.
-- Money is summed as DECIMAL (each day's amount rounded to 4 places first): exact, so the result
-- does not depend on the summation order (DuckDB's parallel float sums do), and the same bytes
-- give the same features.
WITH u AS (
    SELECT uid, signup_day FROM user_first WHERE signup_day <= CAST($cutoff AS DATE)
),
a AS (
    SELECT uid,
           min(day) AS first_active,
           max(day) AS last_active,
           max(CASE WHEN rn = 2 THEN day END) AS prev_active,  -- the active day before the last
           count(*) AS act_all,
           count(CASE WHEN day > CAST($cutoff AS DATE) - 7 THEN 1 END) AS act_7,
           count(CASE WHEN day > CAST($cutoff AS DATE) - 14 THEN 1 END) AS act_14,
           count(CASE WHEN day > CAST($cutoff AS DATE) - 28 THEN 1 END) AS act_28,
           count(CASE WHEN day > CAST($cutoff AS DATE) - 56 THEN 1 END) AS act_56,
           count(CASE WHEN day > CAST($cutoff AS DATE) - 90 THEN 1 END) AS act_90,
           count(CASE WHEN day > CAST($cutoff AS DATE) - 180 THEN 1 END) AS act_180,
           count(CASE WHEN day > CAST($cutoff AS DATE) - 365 THEN 1 END) AS act_365
    FROM (SELECT uid, day, row_number() OVER (PARTITION BY uid ORDER BY day DESC) AS rn
          FROM user_day WHERE day <= CAST($cutoff AS DATE)) AS d  -- portable: no DuckDB top-n max
    GROUP BY uid
),
p AS (
    SELECT uid,
           max(day) AS last_paid,
           sum(n_orders) AS orders_all,
           sum(CAST(gmv AS DECIMAL(18, 4))) AS spend_all,
           sum(CASE WHEN day > CAST($cutoff AS DATE) - 30 THEN CAST(gmv AS DECIMAL(18, 4)) ELSE 0 END) AS spend_30,
           sum(CASE WHEN day > CAST($cutoff AS DATE) - 60 AND day <= CAST($cutoff AS DATE) - 30
                    THEN CAST(gmv AS DECIMAL(18, 4)) ELSE 0 END) AS spend_prev_30,
           sum(CASE WHEN day > CAST($cutoff AS DATE) - 90 THEN CAST(gmv AS DECIMAL(18, 4)) ELSE 0 END) AS spend_90,
           sum(CASE WHEN day > CAST($cutoff AS DATE) - 90 THEN n_orders ELSE 0 END) AS orders_90
    FROM paid_day
    WHERE day <= CAST($cutoff AS DATE)
    GROUP BY uid
),
m AS (
    SELECT uid,
           count(*) AS ev_all,
           count(CASE WHEN event_name = $names[1] THEN 1 END) AS ev_1,
           count(CASE WHEN event_name = $names[2] THEN 1 END) AS ev_2,
           count(CASE WHEN event_name = $names[3] THEN 1 END) AS ev_3,
           count(CASE WHEN event_name = $names[4] THEN 1 END) AS ev_4,
           count(CASE WHEN event_name = $names[5] THEN 1 END) AS ev_5
    FROM ev
    WHERE $with_events
      AND event_time >= CAST(CAST($cutoff AS DATE) - 27 AS TIMESTAMP)
      AND event_time < CAST(CAST($cutoff AS DATE) + 1 AS TIMESTAMP)
    GROUP BY uid
)
SELECT u.uid,
       (CAST($cutoff AS DATE) - a.last_active)::INTEGER AS days_since_active,
       (CAST($cutoff AS DATE) - least(u.signup_day, a.first_active))::INTEGER AS tenure_days,
       (CAST($cutoff AS DATE) - a.first_active)::INTEGER AS days_since_first,
       (a.last_active - a.prev_active)::INTEGER AS last_gap,
       (a.last_active - a.first_active)::INTEGER AS active_span,
       a.act_all::INTEGER AS act_all,
       a.act_7::INTEGER AS act_7,
       a.act_14::INTEGER AS act_14,
       a.act_28::INTEGER AS act_28,
       a.act_56::INTEGER AS act_56,
       a.act_90::INTEGER AS act_90,
       a.act_180::INTEGER AS act_180,
       a.act_365::INTEGER AS act_365,
       coalesce(p.orders_all, 0)::INTEGER AS orders_all,
       coalesce(p.spend_all, 0)::DOUBLE AS spend_all,
       coalesce(p.spend_30, 0)::DOUBLE AS spend_30,
       coalesce(p.spend_prev_30, 0)::DOUBLE AS spend_prev_30,
       coalesce(p.spend_90, 0)::DOUBLE AS spend_90,
       coalesce(p.orders_90, 0)::INTEGER AS orders_90,
       (CAST($cutoff AS DATE) - p.last_paid)::INTEGER AS days_since_purchase,
       coalesce(m.ev_all, 0)::INTEGER AS events_28,
       coalesce(m.ev_1, 0)::INTEGER AS ev_1,
       coalesce(m.ev_2, 0)::INTEGER AS ev_2,
       coalesce(m.ev_3, 0)::INTEGER AS ev_3,
       coalesce(m.ev_4, 0)::INTEGER AS ev_4,
       coalesce(m.ev_5, 0)::INTEGER AS ev_5
FROM u
JOIN a USING (uid)
LEFT JOIN p USING (uid)
LEFT JOIN m USING (uid)
WHERE $eligible <= 0 OR a.last_active > CAST($cutoff AS DATE) - $eligible
ORDER BY u.uid;

-- name: churn_top_events
-- The $k most frequent event names on or before $cutoff (ties by name), for the event mix.
SELECT event_name, count(*)::BIGINT AS n
FROM ev
WHERE event_time < CAST(CAST($cutoff AS DATE) + 1 AS TIMESTAMP)
GROUP BY event_name
ORDER BY n DESC, event_name
LIMIT $k;

-- name: churn_label_window
-- Users with activity (any active day) and with a paid order in the label window
-- $cutoff < d <= $cutoff + $horizon.
SELECT uid, bool_or(src = 'a') AS active_after, bool_or(src = 'p') AS paid_after
FROM (
    SELECT uid, 'a' AS src FROM user_day
    WHERE day > CAST($cutoff AS DATE) AND day <= CAST($cutoff AS DATE) + $horizon
    UNION ALL
    SELECT uid, 'p' AS src FROM paid_day
    WHERE day > CAST($cutoff AS DATE) AND day <= CAST($cutoff AS DATE) + $horizon
)
GROUP BY uid
ORDER BY uid;

-- name: customer_summary
-- Per customer with a paid order on or before $as_of, in days (the lifetimes conventions used by
-- BG/NBD): purchase days, first and last purchase day, spend in total and on the first day.
-- Read from paid_day (one row per customer and purchase day); each day's amount is rounded to
-- 4 places and summed as DECIMAL, so the figures do not depend on the thread count.
SELECT uid,
       (count(*) - 1)::BIGINT AS frequency,
       (max(day) - min(day))::BIGINT AS t_x,  -- lifetimes' "recency"
       (CAST($as_of AS DATE) - min(day))::BIGINT AS age,  -- BG/NBD's T (lower case: engines differ on case)
       sum(n_orders)::BIGINT AS n_orders,
       sum(CAST(gmv AS DECIMAL(18, 4)))::DOUBLE AS total_spend,
       CAST(arg_min(gmv, day) AS DECIMAL(18, 4))::DOUBLE AS first_spend
FROM paid_day
WHERE day <= CAST($as_of AS DATE)
GROUP BY uid
ORDER BY uid;
