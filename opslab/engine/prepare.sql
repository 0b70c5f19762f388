-- name: user_day
-- One row per user and active day: a day with at least one event or a paid order. When the
-- events were made from the paid orders ($events_from_orders) the orders add no day: not read twice.
CREATE OR REPLACE TABLE user_day AS
SELECT uid, day, sum(n_events)::INTEGER AS n_events
FROM (
    SELECT uid, CAST(event_time AS DATE) AS day, count(*) AS n_events FROM ev GROUP BY ALL
    UNION ALL
    SELECT uid, CAST(order_time AS DATE) AS day, 0 AS n_events FROM od WHERE status = 'paid' AND NOT $events_from_orders GROUP BY ALL
)
GROUP BY ALL;

-- name: paid_day
-- One row per user and day with paid orders: sales with an amount above zero (a zero-amount
-- order makes no paid order and no paying user; a refund row is not a sale). In data without
-- amounts ($priced false: a behaviour log's purchases) every purchase is a paid order. Sales
-- refunded later by status count only under the gross rule ($gross); refund rows are in refund_day.
CREATE OR REPLACE TABLE paid_day AS
SELECT uid, CAST(order_time AS DATE) AS day, sum(amount) AS gmv, count(*)::INTEGER AS n_orders
FROM od
WHERE (amount > 0 OR NOT $priced) AND (status = 'paid' OR ($gross AND status = 'refunded'))
GROUP BY ALL;

-- name: refund_day
-- One row per user and day with refunds, on the refund's own day (a refund whose sale is
-- outside the data stays a refund). refunds: money given back (negative rows, plus sales whose
-- status says refunded); gross_extra: sales paid_day leaves out (status refunded, net rule);
-- net_less: what GMV subtracts beyond that (refund rows, net rule). So per day
-- gmv = paid gmv - net_less, gross = paid gmv + gross_extra, refunds = gross - net.
CREATE OR REPLACE TABLE refund_day AS
SELECT uid, CAST(order_time AS DATE) AS day,
       sum(CASE WHEN amount < 0 THEN -amount ELSE amount END) AS refunds,
       sum(CASE WHEN amount > 0 AND NOT $gross THEN amount ELSE 0 END) AS gross_extra,
       sum(CASE WHEN amount < 0 AND NOT $gross THEN -amount ELSE 0 END) AS net_less
FROM od
WHERE amount < 0 OR (status = 'refunded' AND amount > 0)
GROUP BY ALL;

-- name: user_first
-- Per user: signup day, first and last active day, first paid day, whether the signup is unknown.
CREATE OR REPLACE TABLE user_first AS
SELECT u.uid,
       CAST(u.signup_time AS DATE) AS signup_day,
       a.first_active, a.last_active, p.first_paid,
       u.censored  -- signup unknown (first seen in the data's first days): not a new user
FROM us u
LEFT JOIN (SELECT uid, min(day) AS first_active, max(day) AS last_active FROM user_day GROUP BY uid) a USING (uid)
LEFT JOIN (SELECT uid, min(day) AS first_paid FROM paid_day GROUP BY uid) p USING (uid);
