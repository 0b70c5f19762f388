-- name: churn_features
-- Per eligible user at $cutoff: the churn model's features (opslab/churn_features.py).
-- Only days d <= $cutoff are read (the cutoff day is included, as every OpsLab "as of"), so a
-- snapshot in the past sees only what was known then. A window of N days holds the days d with
-- $cutoff - N < d <= $cutoff; "prev_N" is the N days just before it.
-- Eligible: signed up on or before $cutoff and active in the last $eligible days.
-- $names: exactly five event names (padded by the caller) whose 28-day counts form the event mix.
WITH u AS (
    SELECT uid, signup_day FROM user_first WHERE signup_day <= CAST($cutoff AS DATE)
),
a AS (
    SELECT uid,
           max(day) AS last_active,
           count(CASE WHEN day > CAST($cutoff AS DATE) - 7 THEN 1 END) AS act_7,
           count(CASE WHEN day > CAST($cutoff AS DATE) - 14 THEN 1 END) AS act_14,
           count(CASE WHEN day > CAST($cutoff AS DATE) - 28 THEN 1 END) AS act_28,
           count(CASE WHEN day > CAST($cutoff AS DATE) - 56 THEN 1 END) AS act_56,
           count(CASE WHEN day > CAST($cutoff AS DATE) - 90 THEN 1 END) AS act_90
    FROM user_day
    WHERE day <= CAST($cutoff AS DATE) AND day > CAST($cutoff AS DATE) - greatest(90, $eligible)
    GROUP BY uid
),
last_seen AS (
    SELECT uid, max(day) AS last_active FROM user_day WHERE day <= CAST($cutoff AS DATE) GROUP BY uid
),
p AS (
    SELECT uid,
           max(day) AS last_paid,
           sum(CASE WHEN day > CAST($cutoff AS DATE) - 30 THEN gmv ELSE 0 END) AS spend_30,
           sum(CASE WHEN day > CAST($cutoff AS DATE) - 60
                     AND day <= CAST($cutoff AS DATE) - 30 THEN gmv ELSE 0 END) AS spend_prev_30,
           sum(CASE WHEN day > CAST($cutoff AS DATE) - 90 THEN gmv ELSE 0 END) AS spend_90,
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
    WHERE event_time >= CAST(CAST($cutoff AS DATE) - 27 AS TIMESTAMP)
      AND event_time < CAST(CAST($cutoff AS DATE) + 1 AS TIMESTAMP)
    GROUP BY uid
)
SELECT u.uid,
       (CAST($cutoff AS DATE) - s.last_active)::INTEGER AS days_since_active,
       coalesce(a.act_7, 0)::INTEGER AS act_7,
       coalesce(a.act_14, 0)::INTEGER AS act_14,
       coalesce(a.act_28, 0)::INTEGER AS act_28,
       coalesce(a.act_56, 0)::INTEGER AS act_56,
       coalesce(a.act_90, 0)::INTEGER AS act_90,
       (CAST($cutoff AS DATE) - u.signup_day)::INTEGER AS tenure_days,
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
JOIN last_seen s USING (uid)
LEFT JOIN a USING (uid)
LEFT JOIN p USING (uid)
LEFT JOIN m USING (uid)
WHERE s.last_active > CAST($cutoff AS DATE) - $eligible
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
