-- name: daily
-- Daily series over every calendar day between $start and $end (inclusive).
-- WAU/MAU count distinct users active in the trailing 7/30 days, by interval coverage: each
-- active day a covers the days [a, min(next active day, a + window)), so a user's intervals never
-- overlap and a +1 (every active day: the DAU) / -1 (each interval's end) sweep counts them. One
-- window pass over user-days (the next active day), linear in user-days, no join over ranges.
WITH days AS (
    -- generate_series in FROM, not range(): sqlglot turns it into Spark's SEQUENCE (ARCHITECTURE.md)
    SELECT CAST(t.d AS DATE) AS day
    FROM unnest(generate_series(CAST($start AS DATE), CAST($end AS DATE), INTERVAL 1 DAY)) AS t(d)
),
nxt AS (
    SELECT day, lead(day) OVER (PARTITION BY uid ORDER BY day) AS nxt FROM user_day
),
dau AS (SELECT day, count(*) AS dau FROM nxt GROUP BY day),
ends AS (
    SELECT day, sum(w) AS w, sum(m) AS m FROM (
        SELECT CASE WHEN nxt IS NULL OR nxt > day + 7 THEN day + 7 ELSE nxt END AS day, 1 AS w, 0 AS m FROM nxt
        UNION ALL
        SELECT CASE WHEN nxt IS NULL OR nxt > day + 30 THEN day + 30 ELSE nxt END AS day, 0 AS w, 1 AS m FROM nxt
    ) GROUP BY day
),
all_days AS (SELECT day FROM days UNION SELECT day FROM dau UNION SELECT day FROM ends),
sweep AS (
    SELECT a.day,
           sum(coalesce(s.dau, 0) - coalesce(e.w, 0)) OVER (ORDER BY a.day) AS wau,
           sum(coalesce(s.dau, 0) - coalesce(e.m, 0)) OVER (ORDER BY a.day) AS mau
    FROM all_days a
    LEFT JOIN dau s USING (day)
    LEFT JOIN ends e USING (day)
),
new_users AS (SELECT signup_day AS day, count(*) AS new_users FROM user_first WHERE NOT censored GROUP BY 1),
paid AS (
    SELECT day, count(*) AS paying_users, sum(n_orders) AS orders, sum(gmv) AS gmv
    FROM paid_day GROUP BY day
),
back AS (
    SELECT day, sum(refunds) AS refunds, sum(gross_extra) AS gross_extra, sum(net_less) AS net_less
    FROM refund_day GROUP BY day
)
SELECT d.day,
       coalesce(dau.dau, 0)::BIGINT AS dau,
       coalesce(s.wau, 0)::BIGINT AS wau,
       coalesce(s.mau, 0)::BIGINT AS mau,
       coalesce(n.new_users, 0)::BIGINT AS new_users,
       coalesce(p.paying_users, 0)::BIGINT AS paying_users,
       coalesce(p.orders, 0)::BIGINT AS orders,
       (coalesce(p.gmv, 0) - coalesce(b.net_less, 0))::DOUBLE AS gmv,
       (coalesce(p.gmv, 0) + coalesce(b.gross_extra, 0))::DOUBLE AS gmv_gross,
       coalesce(b.refunds, 0)::DOUBLE AS refunds
FROM days d
LEFT JOIN dau USING (day)
LEFT JOIN sweep s USING (day)
LEFT JOIN new_users n USING (day)
LEFT JOIN paid p USING (day)
LEFT JOIN back b USING (day)
ORDER BY d.day;

-- name: period_totals
-- The one period-totals query (Overview 环比/同比, targets, the report, the digest): distinct-
-- user totals per period of the days $start..$end ($grain: day, week, month, quarter, year;
-- weeks start Monday). A period is labelled by its first day, or by $start when the range
-- begins inside it, so a range within one period (a target's period to date) is one row.
-- Paid conversion of each signup cohort: a paid order within $conversion_days days of signup
-- (day 0 is the signup day, so "within 30 days" is days 0..29) seen by $as_of.
WITH cal AS (
    -- every day of the range with its period, worked out once per day instead of once per row
    SELECT CAST(t.d AS DATE) AS day,
           greatest(CAST(date_trunc($grain, CAST(t.d AS DATE)) AS DATE), CAST($start AS DATE)) AS period
    FROM unnest(generate_series(CAST($start AS DATE), CAST($end AS DATE), INTERVAL 1 DAY)) AS t(d)
),
act AS (
    SELECT cal.period, count(DISTINCT uid) AS active_users
    FROM user_day JOIN cal USING (day) GROUP BY 1
),
pay AS (
    SELECT cal.period, count(DISTINCT uid) AS paying_users, sum(gmv) AS gmv, sum(n_orders) AS orders
    FROM paid_day JOIN cal USING (day) GROUP BY 1
),
back AS (
    SELECT cal.period, sum(refunds) AS refunds, sum(gross_extra) AS gross_extra, sum(net_less) AS net_less
    FROM refund_day JOIN cal USING (day) GROUP BY 1
),
conv AS (
    SELECT cal.period, count(*) AS cohort_users,
           count(CASE WHEN first_paid IS NOT NULL AND first_paid <= CAST($as_of AS DATE)
                       AND first_paid - signup_day < $conversion_days THEN 1 END) AS converted
    FROM user_first JOIN cal ON cal.day = user_first.signup_day
    WHERE NOT censored
    GROUP BY 1
)
SELECT coalesce(act.period, pay.period, back.period, conv.period) AS period,
       coalesce(active_users, 0)::BIGINT AS active_users,
       coalesce(paying_users, 0)::BIGINT AS paying_users,
       (coalesce(gmv, 0) - coalesce(net_less, 0))::DOUBLE AS gmv,
       (coalesce(gmv, 0) + coalesce(gross_extra, 0))::DOUBLE AS gmv_gross,
       coalesce(refunds, 0)::DOUBLE AS refunds,
       coalesce(orders, 0)::BIGINT AS orders,
       coalesce(cohort_users, 0)::BIGINT AS new_users,
       coalesce(converted, 0)::BIGINT AS converted
FROM act
FULL JOIN pay USING (period)
FULL JOIN back USING (period)
FULL JOIN conv USING (period)
ORDER BY period;

-- name: cohort_activity
-- Signup cohorts by $grain and how many cohort users were active k periods after signup:
-- "on" period k, and "on or after" period k (active in k or any later period). Every k from 0
-- up to the period holding $end is listed, zeros included.
WITH cu AS (
    SELECT uid, signup_day FROM user_first WHERE NOT censored
),
cal AS (
    -- every day from the first cohort on with its period and the period's number (additive,
    -- so k is a difference of two numbers), worked out once per day instead of once per row
    SELECT CAST(t.d AS DATE) AS day, CAST(date_trunc($grain, CAST(t.d AS DATE)) AS DATE) AS period,
           datediff($grain, DATE '2000-01-03', CAST(date_trunc($grain, CAST(t.d AS DATE)) AS DATE)) AS i
    FROM unnest(generate_series((SELECT min(signup_day) FROM cu), CAST($end AS DATE), INTERVAL 1 DAY)) AS t(d)
),
cohorts AS (
    SELECT cu.uid, cal.period AS cohort, cal.i FROM cu JOIN cal ON cal.day = cu.signup_day
),
act AS (
    SELECT DISTINCT c.uid, c.cohort, cal.i - c.i AS k
    FROM user_day ud JOIN cohorts c USING (uid) JOIN cal USING (day)
),
sizes AS (SELECT cohort, count(*) AS size FROM cohorts GROUP BY cohort),
grid AS (
    SELECT cohort, size, unnest(range(0, datediff($grain, cohort, CAST(date_trunc($grain, CAST($end AS DATE)) AS DATE)) + 1)) AS k
    FROM sizes
),
on_k AS (SELECT cohort, k, count(*) AS n FROM act WHERE k >= 0 GROUP BY ALL),
last_k AS (SELECT cohort, max(k) AS max_k FROM act WHERE k >= 0 GROUP BY uid, cohort),
last_hist AS (SELECT cohort, max_k AS k, count(*) AS n FROM last_k GROUP BY ALL),
joined AS (
    SELECT g.cohort, g.size, g.k, coalesce(o.n, 0) AS retained_on, coalesce(h.n, 0) AS ends_here
    FROM grid g
    LEFT JOIN on_k o ON o.cohort = g.cohort AND o.k = g.k
    LEFT JOIN last_hist h ON h.cohort = g.cohort AND h.k = g.k
)
SELECT cohort, size::BIGINT AS size, k::INTEGER AS k, retained_on::BIGINT AS retained_on,
       sum(ends_here) OVER (PARTITION BY cohort ORDER BY k DESC
                            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)::BIGINT AS retained_on_or_after
FROM joined
ORDER BY cohort, k;
