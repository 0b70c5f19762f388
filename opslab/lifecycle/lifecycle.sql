-- name: lifecycle_activity_states
-- PostHog-style lifecycle per period ($grain = 'week' (Monday start) or 'month') up to $as_of:
-- new (first active period), returning (active this and the previous period), resurrecting
-- (active now, not in the previous period, but earlier), dormant (active in the previous
-- period, not in this one; reported in the period the user went missing).
WITH per AS (
    SELECT DISTINCT uid, CAST(date_trunc($grain, day) AS DATE) AS period
    FROM user_day WHERE day <= CAST($as_of AS DATE)
),
seq AS (
    SELECT uid, period,
           lag(period) OVER (PARTITION BY uid ORDER BY period) AS prev_period,
           lead(period) OVER (PARTITION BY uid ORDER BY period) AS next_period,
           CAST(CASE WHEN $grain = 'week' THEN period + INTERVAL 7 DAY
                     ELSE period + INTERVAL 1 MONTH END AS DATE) AS following
    FROM per
),
last_period AS (SELECT CAST(date_trunc($grain, CAST($as_of AS DATE)) AS DATE) AS lp),
states AS (
    SELECT period,
           CASE WHEN prev_period IS NULL THEN 'new'
                WHEN CAST(CASE WHEN $grain = 'week' THEN prev_period + INTERVAL 7 DAY
                               ELSE prev_period + INTERVAL 1 MONTH END AS DATE) = period
                     THEN 'returning'
                ELSE 'resurrecting' END AS state
    FROM seq
    UNION ALL
    SELECT following AS period, 'dormant' AS state
    FROM seq, last_period
    WHERE (next_period IS NULL OR next_period <> following) AND following <= lp
)
SELECT period,
       count(CASE WHEN state = 'new' THEN 1 END)::BIGINT AS new,
       count(CASE WHEN state = 'returning' THEN 1 END)::BIGINT AS returning,
       count(CASE WHEN state = 'resurrecting' THEN 1 END)::BIGINT AS resurrecting,
       -count(CASE WHEN state = 'dormant' THEN 1 END)::BIGINT AS dormant
FROM states
GROUP BY period
ORDER BY period;

-- name: lifecycle_user_m1
-- M1 per user (DESIGN.md §3): active in the calendar month after the signup month. Only users
-- whose month 1 has fully passed by $as_of have a value; activity after $as_of is not used.
SELECT f.uid,
       count(CASE WHEN date_trunc('month', d.day) = date_trunc('month', f.signup_day) + INTERVAL 1 MONTH
                  THEN 1 END) > 0 AS m1
FROM user_first f
LEFT JOIN user_day d ON d.uid = f.uid AND d.day <= CAST($as_of AS DATE)
WHERE date_trunc('month', f.signup_day) + INTERVAL 2 MONTH - INTERVAL 1 DAY <= CAST($as_of AS DATE)
GROUP BY f.uid
ORDER BY f.uid;

-- name: lifecycle_gap_profile
-- How often customers come back, up to $as_of (opslab/lifecycle_fit.py): the gaps in days
-- between consecutive active days of a user, their quantiles, and how many active user-days
-- are purchase days (purchase-only data: all of them).
WITH g AS (
    SELECT uid, day - lag(day) OVER (PARTITION BY uid ORDER BY day) AS gap
    FROM user_day WHERE day <= CAST($as_of AS DATE)
)
SELECT count(gap)::BIGINT AS n_gaps,
       count(DISTINCT CASE WHEN gap IS NOT NULL THEN uid END)::BIGINT AS n_repeat_users,
       count(DISTINCT uid)::BIGINT AS n_users,
       -- one column per quantile, WITHIN GROUP: the form both DuckDB and Spark run
       percentile_disc(0.25) WITHIN GROUP (ORDER BY gap) AS q25,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY gap) AS q50,
       percentile_disc(0.75) WITHIN GROUP (ORDER BY gap) AS q75,
       percentile_disc(0.8) WITHIN GROUP (ORDER BY gap) AS q80,
       percentile_disc(0.85) WITHIN GROUP (ORDER BY gap) AS q85,
       percentile_disc(0.9) WITHIN GROUP (ORDER BY gap) AS q90,
       percentile_disc(0.95) WITHIN GROUP (ORDER BY gap) AS q95,
       (SELECT count(*) FROM user_day WHERE day <= CAST($as_of AS DATE))::BIGINT AS active_days,
       (SELECT count(*) FROM paid_day WHERE day <= CAST($as_of AS DATE))::BIGINT AS paid_days
FROM g;

-- name: lifecycle_gap_share
-- Share of the gaps between consecutive active days (up to $as_of) of at most $days days.
WITH g AS (
    SELECT day - lag(day) OVER (PARTITION BY uid ORDER BY day) AS gap
    FROM user_day WHERE day <= CAST($as_of AS DATE)
)
SELECT avg(CAST(CASE WHEN gap <= $days THEN 1 ELSE 0 END AS DOUBLE)) AS share  -- DOUBLE before avg: Spark would average DECIMAL(2,1)
FROM g WHERE gap IS NOT NULL;
