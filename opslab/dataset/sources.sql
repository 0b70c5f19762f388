-- name: source_orders
-- Orders of a Parquet folder or catalog source (opslab/sources.py), as Dataset.from_tables
-- builds them: the orders table as given (status lower-cased, NULL = paid); without an orders
-- table, the purchase-like events (a purchase name and no negative amount, or any positive
-- amount). src_flags (one row) says which tables the source has; purchase_names lists the names.
-- channel and the row's place in the source (src_file, src_row) ride along for the events
-- made from orders (source_events).
CREATE OR REPLACE VIEW od_src AS
SELECT user_id, order_time, amount, coalesce(lower(trim(status)), 'paid') AS status,
       channel, src_file, src_row
FROM src_orders
WHERE user_id IS NOT NULL AND order_time IS NOT NULL
UNION ALL
SELECT e.user_id, e.event_time AS order_time, coalesce(e.amount, 0) AS amount, 'paid' AS status,
       e.channel, e.src_file, e.src_row
FROM src_events e CROSS JOIN src_flags f
WHERE NOT f.has_orders AND e.user_id IS NOT NULL AND e.event_time IS NOT NULL
  AND ((lower(trim(coalesce(e.event_name, 'active'))) IN (SELECT name FROM purchase_names)
        AND NOT coalesce(e.amount < 0, false))
       OR e.amount > 0);

-- name: source_events
-- Events of a source; without an events table, every paid order is a purchase event (with its
-- amount and channel, as Dataset.from_tables makes them). The properties (amount, channel) and
-- the place in the source (src_file, src_row) are read only by source_fev.
CREATE OR REPLACE VIEW ev_src AS
SELECT user_id, event_time, coalesce(event_name, 'active') AS event_name, amount, channel, src_file, src_row
FROM src_events
WHERE user_id IS NOT NULL AND event_time IS NOT NULL
UNION ALL
SELECT o.user_id, o.order_time AS event_time, 'purchase' AS event_name, o.amount, o.channel,
       o.src_file, o.src_row
FROM od_src o CROSS JOIN src_flags f
WHERE NOT f.has_events AND o.status = 'paid';

-- name: source_users
-- One row per user seen anywhere (events, orders, users table), numbered 0.. in user_id order
-- so that both engines give every user the same dense uid. Signup = the users table's signup
-- time, pulled back to the first recorded activity when later (as Dataset.from_tables does);
-- without any signup times, users first seen in the first $burn_in days of an export that
-- spans at least 3 x $burn_in days are censored (existing users, not new sign-ups).
-- Per user it also keeps what the Dataset's facts need (first/last seen, events, orders), so
-- those come from this small table rather than from another pass over the events.
-- The uid numbering is one global row_number(): on Spark a single task, fine for millions of users.
CREATE OR REPLACE TABLE us_map AS
WITH seen AS (
    SELECT user_id, min(t) AS first_seen, max(t) AS last_seen,
           count(CASE WHEN src = 'e' THEN 1 END) AS n_events,
           count(CASE WHEN src = 'o' THEN 1 END) AS n_orders
    FROM (
        SELECT user_id, event_time AS t, 'e' AS src FROM ev_src
        UNION ALL
        SELECT user_id, order_time AS t, 'o' AS src FROM od_src
    ) x
    GROUP BY user_id
),
given AS (
    SELECT user_id, min(signup_time) AS signup_time
    FROM src_users WHERE user_id IS NOT NULL GROUP BY user_id
),
everyone AS (
    SELECT coalesce(g.user_id, s.user_id) AS user_id,
           CASE WHEN g.signup_time IS NULL THEN s.first_seen
                WHEN s.first_seen IS NULL OR g.signup_time <= s.first_seen THEN g.signup_time
                ELSE s.first_seen END AS signup_time,
           s.first_seen, s.last_seen,
           coalesce(s.n_events, 0) AS n_events, coalesce(s.n_orders, 0) AS n_orders
    FROM given g FULL JOIN seen s ON g.user_id = s.user_id
),
span AS (
    SELECT (SELECT count(signup_time) FROM given) = 0 AS derived,
           min(first_seen) AS first_t, max(last_seen) AS last_t
    FROM seen
)
SELECT CAST(row_number() OVER (ORDER BY e.user_id) - 1 AS INTEGER) AS uid,
       e.user_id, e.signup_time, e.first_seen, e.last_seen,
       CAST(e.n_events AS BIGINT) AS n_events, CAST(e.n_orders AS BIGINT) AS n_orders,
       coalesce(p.derived
                AND p.last_t >= p.first_t + INTERVAL 1 DAY * (3 * $burn_in)
                AND e.signup_time < CAST(CAST(p.first_t AS DATE) AS TIMESTAMP) + INTERVAL 1 DAY * $burn_in,
                false) AS censored
FROM everyone e CROSS JOIN span p
WHERE e.signup_time IS NOT NULL;

-- name: source_ev
-- The engine's event table of a source: integer uid instead of the user_id string.
CREATE OR REPLACE VIEW ev AS
SELECT m.uid, e.event_time, e.event_name FROM ev_src e JOIN us_map m ON m.user_id = e.user_id;

-- name: source_fev
-- What the behaviour screens read (funnels, paths, A/B property assignment), before
-- funnel_events numbers it: every event with its uid, properties and place in the source.
CREATE OR REPLACE VIEW fev_src AS
SELECT m.uid, e.event_time, e.event_name, e.amount, e.channel, e.src_file, e.src_row
FROM ev_src e JOIN us_map m ON m.user_id = e.user_id;

-- name: source_od
-- The engine's order table of a source.
CREATE OR REPLACE VIEW od AS
SELECT m.uid, o.order_time, o.amount, o.status FROM od_src o JOIN us_map m ON m.user_id = o.user_id;

-- name: source_us
-- The engine's user table of a source.
CREATE OR REPLACE VIEW us AS SELECT uid, signup_time, censored FROM us_map;

-- name: source_facts
-- What a Dataset shows about itself: users, events, orders, first and last day with activity.
SELECT count(*)::BIGINT AS n_users,
       coalesce(sum(n_events), 0)::BIGINT AS n_events,
       coalesce(sum(n_orders), 0)::BIGINT AS n_orders,
       CAST(min(first_seen) AS DATE) AS first_day,
       CAST(max(last_seen) AS DATE) AS last_day
FROM us_map;

-- name: source_user_ids
-- uid -> user_id (and signup) for the analyses that list users by their id.
SELECT uid, user_id, signup_time, censored FROM us_map ORDER BY uid;

-- name: source_orders_daily
-- Non-refunded orders rolled up per user and day (CLV's input: it counts purchase days, so a
-- day's orders are one purchase of their summed amount either way).
SELECT m.user_id, CAST(CAST(o.order_time AS DATE) AS TIMESTAMP) AS order_time,
       sum(o.amount)::DOUBLE AS amount, count(*)::BIGINT AS n_orders, 'paid' AS status
FROM od o JOIN us_map m ON m.uid = o.uid
WHERE o.status <> 'refunded'
GROUP BY m.user_id, CAST(CAST(o.order_time AS DATE) AS TIMESTAMP)
ORDER BY m.user_id, order_time;

-- name: source_campaigns
-- A source's campaigns table (small: one row per campaign).
SELECT campaign_id, start_date, end_date, spend, name, type, channel, participants, new_users, conversions, revenue
FROM src_campaigns ORDER BY campaign_id, start_date;
