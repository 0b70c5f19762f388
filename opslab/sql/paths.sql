-- Paths (opslab/paths.py): what users do right after (or before) a chosen event.

-- name: path_steps
-- Each user's events in range, cut into sessions (a gap above $gap_us microseconds starts a new
-- one) and, when $collapse, with repeats of the same event in a row folded into one. The anchor
-- is the user's first $event; returned are the events up to $depth places after and before it
-- in the same session (offset 0 is the anchor itself).
WITH e AS (
    SELECT uid, seq, epoch_us(event_time) AS t, event_name,
           lag(event_name) OVER w AS prev_name, lag(epoch_us(event_time)) OVER w AS prev_t
    FROM fev
    WHERE event_time >= $start AND event_time < $stop
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
    SELECT uid, arg_min(rn, seq) AS arn, arg_min(sess, seq) AS asess
    FROM k WHERE event_name = $event GROUP BY uid
)
SELECT k.uid, (k.rn - a.arn)::INTEGER AS "offset", k.event_name
FROM k JOIN anchor a ON a.uid = k.uid AND k.sess = a.asess
WHERE k.rn BETWEEN a.arn - $depth AND a.arn + $depth
ORDER BY k.uid, "offset";
