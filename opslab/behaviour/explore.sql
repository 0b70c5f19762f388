-- Explore (opslab/behaviour/explore.py): behaviour retention, per-user distributions, the time
-- between two events and LTV curves. Templates: {grp} is the group expression ('__all__' or
-- g.grp) and {join} the join to the per-call group table (JOIN xgrp g ON g.uid = ...), empty
-- when the analysis is neither split nor limited to a segment; {values} is one of the
-- explore_v_* blocks (one row per user: uid, v). Every value stays a bound $param.

-- name: explore_events_by_name
-- The log ordered by event name, then time, made once per data set as the table {table}
-- (explore.events_by_name): the engine's per-block min/max of event_name and event_time let a
-- query on one event name (and one period) read only its blocks, not the whole log.
CREATE OR REPLACE TABLE {table} AS
SELECT event_name, event_time, uid FROM ev ORDER BY event_name, event_time, uid;

-- name: explore_first_start
-- Each user's first start event in the whole log ($start_any: any event), read from the log by
-- event name ({events}): made once per data set and start event as the table {table}
-- (explore.first_starts) and kept with the engine's tables. The first start event before any
-- $stop is this one when it is before $stop, so every cohort and cell reads it with a filter.
CREATE OR REPLACE TABLE {table} AS
SELECT uid, min(event_time) AS t0
FROM {events}
WHERE $start_any OR event_name = $start_event
GROUP BY uid;

-- name: explore_retention_base
-- Behaviour cohorts: a user's cohort is the period of their first start event ({first}, see
-- explore_first_start), kept when that event is in [$start, $stop); k is the number of periods
-- from the cohort to a return event (any event when $return_any) at or after the start event
-- and before $stop.
WITH c AS (
    SELECT st.uid, st.t0, CAST(date_trunc($grain, st.t0) AS DATE) AS cohort, {grp} AS grp
    FROM {first} st {join}
    WHERE st.t0 >= CAST($start AS TIMESTAMP) AND st.t0 < CAST($stop AS TIMESTAMP)
),
r AS (
    SELECT DISTINCT c.uid, c.cohort, c.grp,
           datediff($grain, c.cohort, CAST(date_trunc($grain, e.event_time) AS DATE)) AS k
    FROM {events} e JOIN c ON c.uid = e.uid
    WHERE ($return_any OR e.event_name = $return_event)
      AND e.event_time >= c.t0 AND e.event_time < CAST($stop AS TIMESTAMP)
),
last_k AS (SELECT uid, cohort, grp, max(k) AS max_k FROM r GROUP BY uid, cohort, grp)

-- name: explore_retention
-- Cohort size and users retained on period k and on or after it, for every k from 0 up to the
-- period holding $last (at most $max_k), zeros included.
{base},
sizes AS (SELECT cohort, grp, count(*) AS size FROM c GROUP BY cohort, grp),
grid AS (
    SELECT cohort, grp, size,
           unnest(range(0, datediff($grain, cohort, CAST(date_trunc($grain, CAST($last AS DATE)) AS DATE)) + 1)) AS k
    FROM sizes
),
on_k AS (SELECT cohort, grp, k, count(*) AS n FROM r GROUP BY cohort, grp, k),
last_hist AS (SELECT cohort, grp, max_k AS k, count(*) AS n FROM last_k GROUP BY cohort, grp, max_k),
joined AS (
    SELECT g.cohort, g.grp, g.size, g.k, coalesce(o.n, 0) AS retained_on, coalesce(h.n, 0) AS ends_here
    FROM grid g
    LEFT JOIN on_k o ON o.cohort = g.cohort AND o.grp = g.grp AND o.k = g.k
    LEFT JOIN last_hist h ON h.cohort = g.cohort AND h.grp = g.grp AND h.k = g.k
),
cum AS (
    SELECT cohort, grp, size, k, retained_on,
           sum(ends_here) OVER (PARTITION BY cohort, grp ORDER BY k DESC
                                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS retained_on_or_after
    FROM joined
)
SELECT cohort, grp, size::BIGINT AS size, k::INTEGER AS k, retained_on::BIGINT AS retained_on,
       retained_on_or_after::BIGINT AS retained_on_or_after
FROM cum
WHERE k <= $max_k
ORDER BY cohort, grp, k;

-- name: explore_retention_users
-- The users of one retention cell, from the first start events ({first}) with one semi-join on
-- the return event (not the cohort query again): the cohort's users are those whose first
-- start event is in [$c_lo, $c_hi) (the cohort's period within [$start, $stop)) and in group
-- $group; the cell keeps those with a return event at or after their start event in
-- [$r_lo, $r_hi) (period k for "on"; from period k to $stop for "on or after"). $whole lists
-- the whole cohort.
WITH c AS (
    SELECT st.uid, st.t0
    FROM {first} st {join}
    WHERE st.t0 >= CAST($c_lo AS TIMESTAMP) AND st.t0 < CAST($c_hi AS TIMESTAMP) AND {grp} = $group
),
hit AS (
    SELECT e.uid, max(e.event_time) AS t_last
    FROM {events} e
    WHERE NOT $whole AND ($return_any OR e.event_name = $return_event)
      AND e.event_time >= CAST($r_lo AS TIMESTAMP) AND e.event_time < CAST($r_hi AS TIMESTAMP)
      AND e.uid IN (SELECT uid FROM c)
    GROUP BY e.uid
)
SELECT c.uid AS uid
FROM c LEFT JOIN hit h ON h.uid = c.uid
WHERE $whole OR h.t_last >= c.t0
ORDER BY uid;

-- name: explore_v_events
-- Events per user in [$start, $stop), users active there.
SELECT uid, CAST(sum(n_events) AS DOUBLE) AS v FROM user_day
WHERE day >= CAST($start AS DATE) AND day < CAST($stop AS DATE) GROUP BY uid

-- name: explore_v_active_days
-- Active days per user in [$start, $stop).
SELECT uid, CAST(count(*) AS DOUBLE) AS v FROM user_day
WHERE day >= CAST($start AS DATE) AND day < CAST($stop AS DATE) GROUP BY uid

-- name: explore_v_orders
-- Paid orders per user active in [$start, $stop) (0 for active users without one).
SELECT a.uid, CAST(coalesce(p.n, 0) AS DOUBLE) AS v
FROM (SELECT DISTINCT uid FROM user_day WHERE day >= CAST($start AS DATE) AND day < CAST($stop AS DATE)) a
LEFT JOIN (SELECT uid, sum(n_orders) AS n FROM paid_day
           WHERE day >= CAST($start AS DATE) AND day < CAST($stop AS DATE) GROUP BY uid) p ON p.uid = a.uid

-- name: explore_v_gmv
-- GMV per user active in [$start, $stop) (0 for active users without an order): the paid
-- amount net of refunds as the catalogue's GMV is (refund_day's net_less on the refund's own
-- day; 0 under the gross rule) -- not the feature table's "spend", which is the paid amount.
SELECT a.uid, CAST(coalesce(p.s, 0) AS DOUBLE) AS v
FROM (SELECT DISTINCT uid FROM user_day WHERE day >= CAST($start AS DATE) AND day < CAST($stop AS DATE)) a
LEFT JOIN (SELECT uid, sum(gmv) AS s
           FROM (SELECT uid, day, gmv FROM paid_day
                 UNION ALL SELECT uid, day, -net_less AS gmv FROM refund_day WHERE net_less > 0) m
           WHERE day >= CAST($start AS DATE) AND day < CAST($stop AS DATE) GROUP BY uid) p ON p.uid = a.uid

-- name: explore_v_interval
-- Seconds from a user's first $event_a in [$start, $stop) (log order) to their first $event_b
-- after it in the log (before $stop); NULL when no $event_b followed. a_time: the first $event_a.
WITH a AS (
    SELECT uid, min(seq) AS a_seq FROM fev
    WHERE event_name = $event_a AND event_time >= CAST($start AS TIMESTAMP) AND event_time < CAST($stop AS TIMESTAMP)
    GROUP BY uid
),
b AS (
    SELECT a.uid, min(f.seq) AS b_seq FROM a JOIN fev f ON f.uid = a.uid
    WHERE f.event_name = $event_b AND f.seq > a.a_seq AND f.event_time < CAST($stop AS TIMESTAMP)
    GROUP BY a.uid
)
SELECT a.uid, fa.event_time AS a_time,
       CAST(date_diff('microsecond', fa.event_time, fb.event_time) AS DOUBLE) / 1000000.0 AS v
FROM a JOIN fev fa ON fa.seq = a.a_seq
LEFT JOIN b ON b.uid = a.uid
LEFT JOIN fev fb ON fb.seq = b.b_seq

-- name: explore_values_table
-- One explore_v_* block ({values}) kept as the table {table}, once per data set and parameters
-- (explore.per_user_values): a distribution's statistics and bins, and the users behind each
-- bin, read it instead of recomputing every user's value.
CREATE OR REPLACE TABLE {table} AS
SELECT * FROM ({values}) v;

-- name: explore_value_bins
-- Users per bin of v ({bin} maps v to a bin index from the bound edges) and group.
SELECT {grp} AS grp, {bin} AS bin, count(*) AS users
FROM ({values}) x {join}
WHERE x.v IS NOT NULL
GROUP BY 1, 2
ORDER BY grp, bin;

-- name: explore_value_stats
-- Per group: users, users with a value, mean and the quantiles of v (linear interpolation
-- between the two nearest ranks, as quantile_cont), written with window functions so that both
-- engines compute them alike.
WITH x AS (SELECT {grp} AS grp, x.v FROM ({values}) x {join}),
o AS (
    SELECT grp, v, row_number() OVER (PARTITION BY grp ORDER BY v) AS rn,
           count(*) OVER (PARTITION BY grp) AS n
    FROM x WHERE v IS NOT NULL
),
q AS (
    SELECT grp, {quantiles}, min(v) AS vmin, max(v) AS vmax,
           min(CASE WHEN v > 0 THEN v END) AS vpos FROM o GROUP BY grp
),
t AS (SELECT grp, count(*) AS users, count(v) AS with_value, avg(v) AS mean FROM x GROUP BY grp)
SELECT t.grp, t.users::BIGINT AS users, t.with_value::BIGINT AS with_value, t.mean, {quantile_cols}, q.vmin, q.vmax, q.vpos
FROM t LEFT JOIN q ON q.grp = t.grp
ORDER BY t.grp;

-- name: explore_value_trend
-- Interval by the period ($grain) of the first $event_a: users, users who did $event_b after it,
-- and their mean seconds.
SELECT CAST(date_trunc($grain, x.a_time) AS DATE) AS period, {grp} AS grp, count(*) AS users,
       count(x.v) AS converted, avg(x.v) AS mean_s
FROM ({values}) x {join}
GROUP BY 1, 2
ORDER BY period, grp;

-- name: explore_value_users
-- The users whose v lies in [$lo, $hi) (in group $group when split).
SELECT uid FROM (
    SELECT x.uid AS uid FROM ({values}) x {join}
    WHERE x.v >= $lo AND x.v < $hi AND ($any_group OR {grp} = $group)
) y
ORDER BY uid;

-- name: explore_ltv
-- Cumulative paid revenue per user n days after the anchor day (first paid day, or signup of
-- a non-censored user), by the anchor's $grain cohort and group. For each n only users whose
-- anchor day + n is on or before $last count (everyone counted was observed for n days).
-- Revenue is net of refunds as GMV is (refund_day's net_less on the refund's own day).
WITH anc AS (
    SELECT f.uid, CASE WHEN $by_signup THEN f.signup_day ELSE f.first_paid END AS a_day, {grp} AS grp
    FROM user_first f {join}
    WHERE CASE WHEN $by_signup THEN f.signup_day IS NOT NULL AND NOT f.censored ELSE f.first_paid IS NOT NULL END
),
a AS (
    SELECT uid, a_day, CAST(date_trunc($grain, a_day) AS DATE) AS cohort, grp
    FROM anc WHERE a_day >= CAST($start AS DATE) AND a_day <= CAST($last AS DATE)
),
ns AS (SELECT n FROM (VALUES {ns}) AS w(n)),
sizes AS (SELECT cohort, grp, a_day, count(*) AS users FROM a GROUP BY cohort, grp, a_day),
rev AS (
    SELECT a.cohort, a.grp, a.a_day, p.day - a.a_day AS d, sum(p.gmv) AS gmv
    FROM (SELECT uid, day, gmv FROM paid_day
          UNION ALL SELECT uid, day, -net_less AS gmv FROM refund_day WHERE net_less > 0) p
    JOIN a ON a.uid = p.uid
    WHERE p.day >= a.a_day AND p.day <= CAST($last AS DATE) AND p.day - a.a_day <= $max_n
    GROUP BY a.cohort, a.grp, a.a_day, p.day - a.a_day
),
obs AS (
    SELECT s.cohort, s.grp, ns.n, sum(s.users) AS users
    FROM sizes s JOIN ns ON s.a_day + ns.n <= CAST($last AS DATE)
    GROUP BY s.cohort, s.grp, ns.n
),
got AS (
    SELECT r.cohort, r.grp, ns.n, sum(r.gmv) AS revenue
    FROM rev r JOIN ns ON r.d <= ns.n AND r.a_day + ns.n <= CAST($last AS DATE)
    GROUP BY r.cohort, r.grp, ns.n
)
SELECT o.cohort, o.grp, o.n::INTEGER AS n, o.users::BIGINT AS users,
       CAST(coalesce(g.revenue, 0) AS DOUBLE) AS revenue
FROM obs o LEFT JOIN got g ON g.cohort = o.cohort AND g.grp = o.grp AND g.n = o.n
ORDER BY o.cohort, o.grp, o.n;

-- name: explore_ltv_sizes
-- Users per anchor cohort and group (the cohort's size, whatever n has been observed).
SELECT CAST(date_trunc($grain, a_day) AS DATE) AS cohort, grp, count(*)::BIGINT AS size
FROM (
    SELECT CASE WHEN $by_signup THEN f.signup_day ELSE f.first_paid END AS a_day, {grp} AS grp
    FROM user_first f {join}
    WHERE CASE WHEN $by_signup THEN f.signup_day IS NOT NULL AND NOT f.censored ELSE f.first_paid IS NOT NULL END
) x
WHERE a_day >= CAST($start AS DATE) AND a_day <= CAST($last AS DATE)
GROUP BY 1, 2
ORDER BY cohort, grp;
