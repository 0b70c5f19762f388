-- name: targets_month_retention
-- Month-k retention bases per calendar month m (k = 1 and 3): "all" = users who signed up in
-- m (existing users left out), "payer" = users with a paid order in m, "high_value" = users
-- whose paid orders in m sum to at least $high_value. Retained = active (an event or a paid
-- order) in month m + k. Only activity up to $as_of counts.
WITH um AS (
    SELECT DISTINCT uid, CAST(date_trunc('month', day) AS DATE) AS m
    FROM user_day WHERE day <= CAST($as_of AS DATE)
),
sm AS (
    SELECT uid, CAST(date_trunc('month', day) AS DATE) AS m, sum(gmv) AS spend
    FROM paid_day WHERE day <= CAST($as_of AS DATE) GROUP BY ALL
),
base AS (
    SELECT 'all' AS base, uid, CAST(date_trunc('month', signup_day) AS DATE) AS m
    FROM user_first WHERE NOT censored AND signup_day <= CAST($as_of AS DATE)
    UNION ALL SELECT 'payer' AS base, uid, m FROM sm
    UNION ALL SELECT 'high_value' AS base, uid, m FROM sm WHERE spend >= $high_value
),
ks AS (SELECT * FROM (VALUES (1), (3)) t(k))
SELECT b.base, b.m AS base_month, ks.k::INTEGER AS k, count(*)::BIGINT AS size,
       count(um.uid)::BIGINT AS retained
FROM base b CROSS JOIN ks
-- literal month intervals (k is 1 or 3): the form both DuckDB and Spark run
LEFT JOIN um ON um.uid = b.uid
    AND um.m = CAST(CASE ks.k WHEN 1 THEN b.m + INTERVAL 1 MONTH ELSE b.m + INTERVAL 3 MONTH END AS DATE)
GROUP BY ALL
ORDER BY 1, 2, 3;
