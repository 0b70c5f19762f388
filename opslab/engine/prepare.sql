-- name: order_day
-- One row per user and day with paid or sold orders, the orders grouped once for paid_day and
-- user_day (dropped by order_day_done once they are built). n_paid: orders with status paid,
-- whatever their amount (each is a purchase, so the day is active); gmv / n_orders: the sales
-- as paid_day defines them.
CREATE OR REPLACE TABLE order_day AS
SELECT uid, day,
       count(CASE WHEN status = 'paid' THEN 1 END)::INTEGER AS n_paid,
       sum(CASE WHEN sale THEN amount END) AS gmv,
       count(CASE WHEN sale THEN 1 END)::INTEGER AS n_orders
FROM (
    SELECT uid, CAST(order_time AS DATE) AS day, amount, status,
           (amount > 0 OR NOT $priced) AND (status = 'paid' OR ($gross AND status = 'refunded')) AS sale
    FROM od WHERE status = 'paid' OR ($gross AND status = 'refunded')
)
WHERE status = 'paid' OR sale
GROUP BY ALL;

-- name: user_day
-- One row per user and active day: a day with at least one event or a paid order.
CREATE OR REPLACE TABLE user_day AS
SELECT uid, day, sum(n_events)::INTEGER AS n_events
FROM (
    SELECT uid, CAST(event_time AS DATE) AS day, count(*) AS n_events FROM ev GROUP BY ALL
    UNION ALL
    SELECT uid, day, 0 AS n_events FROM order_day WHERE n_paid > 0
)
GROUP BY ALL;

-- name: user_day_of_orders
-- user_day when the events were made from the paid orders (one purchase event per paid order,
-- on its time): a day's events are its paid orders, so the orders' grouping is read, not the
-- events a second time.
CREATE OR REPLACE TABLE user_day AS
SELECT uid, day, n_paid AS n_events FROM order_day WHERE n_paid > 0;

-- name: paid_day
-- One row per user and day with paid orders: sales with an amount above zero (a zero-amount
-- order makes no paid order and no paying user; a refund row is not a sale). In data without
-- amounts ($priced false: a behaviour log's purchases) every purchase is a paid order. Sales
-- refunded later by status count only under the gross rule ($gross); refund rows are in refund_day.
-- The sales are grouped in order_day.
CREATE OR REPLACE TABLE paid_day AS
SELECT uid, day, gmv, n_orders FROM order_day WHERE n_orders > 0;

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

-- name: user_first_of_orders
-- user_first when the events were made from the paid orders: active days and paid days are
-- both rows of order_day, so one grouping of it gives all three days.
CREATE OR REPLACE TABLE user_first AS
SELECT u.uid,
       CAST(u.signup_time AS DATE) AS signup_day,
       a.first_active, a.last_active, a.first_paid,
       u.censored
FROM us u
LEFT JOIN (SELECT uid, min(CASE WHEN n_paid > 0 THEN day END) AS first_active,
                  max(CASE WHEN n_paid > 0 THEN day END) AS last_active,
                  min(CASE WHEN n_orders > 0 THEN day END) AS first_paid
           FROM order_day GROUP BY uid) a USING (uid);

-- name: order_day_done
DROP TABLE IF EXISTS order_day;
