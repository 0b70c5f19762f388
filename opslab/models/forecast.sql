-- name: whatif_driver_base
-- Drivers of GMV over the period [$start, $end] (inclusive days), previous period
-- [$prev_start, $start - 1]. Every user active in the period (an event or a paid order) is
-- exactly one of: new (signed up in the period), retained (active in the previous period),
-- recovered (the rest: back after a gap, or active for the first time long after signup).
-- prev_active bounds how many can be retained; lapsed (registered before the period, not
-- active in the previous one) bounds how many can be recovered.
WITH act AS (
    SELECT DISTINCT uid FROM user_day
    WHERE day BETWEEN CAST($start AS DATE) AND CAST($end AS DATE)
),
prev AS (
    SELECT DISTINCT uid FROM user_day
    WHERE day >= CAST($prev_start AS DATE) AND day < CAST($start AS DATE)
),
kind AS (
    SELECT a.uid,
           CASE WHEN f.signup_day BETWEEN CAST($start AS DATE) AND CAST($end AS DATE) THEN 'new'
                WHEN p.uid IS NOT NULL THEN 'retained'
                ELSE 'recovered' END AS kind
    FROM act a
    JOIN user_first f USING (uid)
    LEFT JOIN prev p USING (uid)
),
pay AS (
    SELECT count(DISTINCT uid) AS paying_users, coalesce(sum(gmv), 0) AS gmv,
           coalesce(sum(n_orders), 0) AS orders
    FROM paid_day WHERE day BETWEEN CAST($start AS DATE) AND CAST($end AS DATE)
)
SELECT count(CASE WHEN kind = 'retained' THEN 1 END)::BIGINT AS retained,
       count(CASE WHEN kind = 'new' THEN 1 END)::BIGINT AS new,
       count(CASE WHEN kind = 'recovered' THEN 1 END)::BIGINT AS recovered,
       (SELECT paying_users FROM pay)::BIGINT AS paying_users,
       ((SELECT gmv FROM pay) - (SELECT coalesce(sum(net_less), 0) FROM refund_day  -- refunds netted
         WHERE day BETWEEN CAST($start AS DATE) AND CAST($end AS DATE)))::DOUBLE AS gmv,
       (SELECT orders FROM pay)::BIGINT AS orders,
       (SELECT count(*) FROM prev)::BIGINT AS prev_active,
       (SELECT count(*) FROM user_first f
        WHERE f.signup_day < CAST($start AS DATE) AND f.uid NOT IN (SELECT uid FROM prev))::BIGINT
           AS lapsed
FROM kind;

