-- name: churn_event_mix
-- The churn model's event mix (opslab/models/churn_features.py): per user, events in the 28 days
-- up to $cutoff (the cutoff day included) and how many carry each of the names $names. Every
-- other churn feature is selected from the shared per-user feature table (user_features,
-- opslab/dataset/features.sql); this one reads the raw events, which that table does not hold.
SELECT uid,
       count(*)::INTEGER AS ev_all,
       count(CASE WHEN event_name = $names[1] THEN 1 END)::INTEGER AS ev_1,
       count(CASE WHEN event_name = $names[2] THEN 1 END)::INTEGER AS ev_2,
       count(CASE WHEN event_name = $names[3] THEN 1 END)::INTEGER AS ev_3,
       count(CASE WHEN event_name = $names[4] THEN 1 END)::INTEGER AS ev_4,
       count(CASE WHEN event_name = $names[5] THEN 1 END)::INTEGER AS ev_5
FROM ev
WHERE event_time >= CAST(CAST($cutoff AS DATE) - 27 AS TIMESTAMP)
  AND event_time < CAST(CAST($cutoff AS DATE) + 1 AS TIMESTAMP)
GROUP BY uid
ORDER BY uid;

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
