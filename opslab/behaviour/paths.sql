-- Paths (opslab/paths.py): what users do right after (or before) a chosen event.

-- name: path_steps
-- Each user's events in range, cut into sessions (a gap above $gap_us microseconds starts a new
-- one) and, when $collapse, with repeats of the same event in a row folded into one. The anchor
-- is the user's first $event; returned are the events up to $depth places after and before it
-- in the same session (offset 0 is the anchor itself).
-- Times are epoch microseconds as both engines compute them (date_diff('microsecond') from 1970).
WITH e0 AS (
    SELECT uid, seq, date_diff('microsecond', TIMESTAMP '1970-01-01 00:00:00', event_time) AS t, event_name
    FROM fev
    WHERE event_time >= CAST($start AS TIMESTAMP) AND event_time < CAST($stop AS TIMESTAMP)
),
e AS (
    SELECT uid, seq, t, event_name, lag(event_name) OVER w AS prev_name, lag(t) OVER w AS prev_t
    FROM e0
    WINDOW w AS (PARTITION BY uid ORDER BY seq)
),
s AS (
    SELECT *, (prev_t IS NULL OR t - prev_t > $gap_us) AS brk,
           sum(CASE WHEN prev_t IS NULL OR t - prev_t > $gap_us THEN 1 ELSE 0 END)
               OVER (PARTITION BY uid ORDER BY seq ROWS UNBOUNDED PRECEDING) AS sess
    FROM e
),
k AS (
    SELECT uid, seq, sess, event_name,
           row_number() OVER (PARTITION BY uid ORDER BY seq) AS rn
    FROM s
    WHERE NOT ($collapse AND NOT brk AND event_name = prev_name)
),
anchor AS (
    SELECT uid, min(rn) AS arn, min(sess) AS asess  -- rn and sess grow with seq: the first one's
    FROM k WHERE event_name = $event GROUP BY uid
)
SELECT k.uid, (k.rn - a.arn)::INTEGER AS "offset", k.event_name
FROM k JOIN anchor a ON a.uid = k.uid AND k.sess = a.asess
WHERE k.rn BETWEEN a.arn - $depth AND a.arn + $depth
ORDER BY k.uid, "offset";
