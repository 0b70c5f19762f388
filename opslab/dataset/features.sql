-- name: user_features
-- THE per-user feature query (opslab/dataset/features.py): every per-user figure of recency,
-- frequency, monetary, first / last activity and purchase, active days and tenure as of $as_of,
-- in one scan of user_day and one of paid_day. The lifecycle tiers, RFM, the churn features and
-- the CLV customer summary all select from it (tests/test_house_rules.py keeps it the only one).
-- Only days d <= $as_of are read, so a snapshot in the past sees only what was known then.
-- Days are counted back from $as_of: "days_since_x" = $as_of - x (0 on $as_of itself).
-- Activity window i holds the days d with $as_of - $act_days[i] < d <= $as_of (a length of 0:
-- an unused slot, always 0). Paid window i holds the days d with
-- $as_of - $paid_hi[i] < d <= $as_of - $paid_lo[i] (so (30, 60] is "the 30 days before the last
-- 30"). Money is summed as DECIMAL (each day's amount rounded to 4 places first): exact, so the
-- figures do not depend on the summation order and the same bytes give the same features.
-- Rows: every user signed up, active or paying on or before $as_of.
WITH a AS (
    SELECT uid,
           min(day) AS first_active,
           max(day) AS last_active,
           max(CASE WHEN rn = 2 THEN day END) AS prev_active,  -- the active day before the last
           count(*) AS active_days,
           count(CASE WHEN day > CAST($as_of AS DATE) - $act_days[1] THEN 1 END) AS act_1,
           count(CASE WHEN day > CAST($as_of AS DATE) - $act_days[2] THEN 1 END) AS act_2,
           count(CASE WHEN day > CAST($as_of AS DATE) - $act_days[3] THEN 1 END) AS act_3,
           count(CASE WHEN day > CAST($as_of AS DATE) - $act_days[4] THEN 1 END) AS act_4,
           count(CASE WHEN day > CAST($as_of AS DATE) - $act_days[5] THEN 1 END) AS act_5,
           count(CASE WHEN day > CAST($as_of AS DATE) - $act_days[6] THEN 1 END) AS act_6,
           count(CASE WHEN day > CAST($as_of AS DATE) - $act_days[7] THEN 1 END) AS act_7,
           count(CASE WHEN day > CAST($as_of AS DATE) - $act_days[8] THEN 1 END) AS act_8,
           count(CASE WHEN day > CAST($as_of AS DATE) - $act_days[9] THEN 1 END) AS act_9,
           count(CASE WHEN day > CAST($as_of AS DATE) - $act_days[10] THEN 1 END) AS act_10,
           count(CASE WHEN day > CAST($as_of AS DATE) - $act_days[11] THEN 1 END) AS act_11,
           count(CASE WHEN day > CAST($as_of AS DATE) - $act_days[12] THEN 1 END) AS act_12
    FROM (SELECT uid, day, row_number() OVER (PARTITION BY uid ORDER BY day DESC) AS rn
          FROM user_day WHERE day <= CAST($as_of AS DATE)) AS d  -- portable: no DuckDB top-n max
    GROUP BY uid
),
p AS (
    SELECT uid,
           min(day) AS first_paid,
           max(day) AS last_paid,
           count(*) AS paid_days,
           sum(n_orders) AS orders,
           sum(CAST(gmv AS DECIMAL(18, 4))) AS spend,
           CAST(arg_min(gmv, day) AS DECIMAL(18, 4)) AS first_spend,
           sum(CASE WHEN day > CAST($as_of AS DATE) - $paid_hi[1] AND day <= CAST($as_of AS DATE) - $paid_lo[1]
                    THEN n_orders ELSE 0 END) AS orders_1,
           sum(CASE WHEN day > CAST($as_of AS DATE) - $paid_hi[2] AND day <= CAST($as_of AS DATE) - $paid_lo[2]
                    THEN n_orders ELSE 0 END) AS orders_2,
           sum(CASE WHEN day > CAST($as_of AS DATE) - $paid_hi[3] AND day <= CAST($as_of AS DATE) - $paid_lo[3]
                    THEN n_orders ELSE 0 END) AS orders_3,
           sum(CASE WHEN day > CAST($as_of AS DATE) - $paid_hi[4] AND day <= CAST($as_of AS DATE) - $paid_lo[4]
                    THEN n_orders ELSE 0 END) AS orders_4,
           sum(CASE WHEN day > CAST($as_of AS DATE) - $paid_hi[5] AND day <= CAST($as_of AS DATE) - $paid_lo[5]
                    THEN n_orders ELSE 0 END) AS orders_5,
           sum(CASE WHEN day > CAST($as_of AS DATE) - $paid_hi[6] AND day <= CAST($as_of AS DATE) - $paid_lo[6]
                    THEN n_orders ELSE 0 END) AS orders_6,
           sum(CASE WHEN day > CAST($as_of AS DATE) - $paid_hi[1] AND day <= CAST($as_of AS DATE) - $paid_lo[1]
                    THEN CAST(gmv AS DECIMAL(18, 4)) ELSE 0 END) AS spend_1,
           sum(CASE WHEN day > CAST($as_of AS DATE) - $paid_hi[2] AND day <= CAST($as_of AS DATE) - $paid_lo[2]
                    THEN CAST(gmv AS DECIMAL(18, 4)) ELSE 0 END) AS spend_2,
           sum(CASE WHEN day > CAST($as_of AS DATE) - $paid_hi[3] AND day <= CAST($as_of AS DATE) - $paid_lo[3]
                    THEN CAST(gmv AS DECIMAL(18, 4)) ELSE 0 END) AS spend_3,
           sum(CASE WHEN day > CAST($as_of AS DATE) - $paid_hi[4] AND day <= CAST($as_of AS DATE) - $paid_lo[4]
                    THEN CAST(gmv AS DECIMAL(18, 4)) ELSE 0 END) AS spend_4,
           sum(CASE WHEN day > CAST($as_of AS DATE) - $paid_hi[5] AND day <= CAST($as_of AS DATE) - $paid_lo[5]
                    THEN CAST(gmv AS DECIMAL(18, 4)) ELSE 0 END) AS spend_5,
           sum(CASE WHEN day > CAST($as_of AS DATE) - $paid_hi[6] AND day <= CAST($as_of AS DATE) - $paid_lo[6]
                    THEN CAST(gmv AS DECIMAL(18, 4)) ELSE 0 END) AS spend_6
    FROM paid_day
    WHERE day <= CAST($as_of AS DATE)
    GROUP BY uid
)
SELECT u.uid,
       (CAST($as_of AS DATE) - u.signup_day)::INTEGER AS days_since_signup,
       (CAST($as_of AS DATE) - a.first_active)::INTEGER AS days_since_first_active,
       (CAST($as_of AS DATE) - a.last_active)::INTEGER AS days_since_last_active,
       (CAST($as_of AS DATE) - a.prev_active)::INTEGER AS days_since_prev_active,
       coalesce(a.active_days, 0)::INTEGER AS active_days,
       coalesce(a.act_1, 0)::INTEGER AS act_1,
       coalesce(a.act_2, 0)::INTEGER AS act_2,
       coalesce(a.act_3, 0)::INTEGER AS act_3,
       coalesce(a.act_4, 0)::INTEGER AS act_4,
       coalesce(a.act_5, 0)::INTEGER AS act_5,
       coalesce(a.act_6, 0)::INTEGER AS act_6,
       coalesce(a.act_7, 0)::INTEGER AS act_7,
       coalesce(a.act_8, 0)::INTEGER AS act_8,
       coalesce(a.act_9, 0)::INTEGER AS act_9,
       coalesce(a.act_10, 0)::INTEGER AS act_10,
       coalesce(a.act_11, 0)::INTEGER AS act_11,
       coalesce(a.act_12, 0)::INTEGER AS act_12,
       (CAST($as_of AS DATE) - p.first_paid)::INTEGER AS days_since_first_paid,
       (CAST($as_of AS DATE) - p.last_paid)::INTEGER AS days_since_last_paid,
       coalesce(p.paid_days, 0)::INTEGER AS paid_days,
       coalesce(p.orders, 0)::BIGINT AS orders,
       coalesce(p.spend, 0)::DOUBLE AS spend,
       p.first_spend::DOUBLE AS first_spend,
       coalesce(p.orders_1, 0)::BIGINT AS orders_1,
       coalesce(p.orders_2, 0)::BIGINT AS orders_2,
       coalesce(p.orders_3, 0)::BIGINT AS orders_3,
       coalesce(p.orders_4, 0)::BIGINT AS orders_4,
       coalesce(p.orders_5, 0)::BIGINT AS orders_5,
       coalesce(p.orders_6, 0)::BIGINT AS orders_6,
       coalesce(p.spend_1, 0)::DOUBLE AS spend_1,
       coalesce(p.spend_2, 0)::DOUBLE AS spend_2,
       coalesce(p.spend_3, 0)::DOUBLE AS spend_3,
       coalesce(p.spend_4, 0)::DOUBLE AS spend_4,
       coalesce(p.spend_5, 0)::DOUBLE AS spend_5,
       coalesce(p.spend_6, 0)::DOUBLE AS spend_6
FROM user_first u
LEFT JOIN a USING (uid)
LEFT JOIN p USING (uid)
WHERE u.signup_day <= CAST($as_of AS DATE) OR a.first_active IS NOT NULL OR p.first_paid IS NOT NULL
ORDER BY u.uid;
