-- Funnel queries (opslab/funnels.py). The number of steps varies, so these blocks are templates:
-- <placeholders> receive generated, quoted identifiers and per-step expressions (built from the
-- *_step blocks below); every value (event names, property values, times) is a bound $param.
-- Events come from `fev` (uid, seq = position in the time-sorted log, event_time, event_name,
-- attribute columns). Times are compared as epoch microseconds (date_diff('microsecond') from
-- 1970, which both engines run); $window is in microseconds. Written once for DuckDB and
-- Spark (docs/ARCHITECTURE.md, "Two engines, one SQL"): no FILTER clauses, no list functions,
-- and a step's first event is picked with row_number() rather than arg_min.

-- name: funnel_ordered
-- Ordered funnel as a dynamic programme over each user's events. s1 holds the step-1 events
-- with L = their own time; s(k) holds the events matching step k that continue some path,
-- with L = the LATEST step-1 time of any valid path ending there (the latest start keeps the
-- most room in the conversion window, so a user reaches step k exactly when s(k) has a row for
-- them). Each layer only touches the rows of two steps, so the work shrinks along the funnel.
-- Exclusions between step j and j+1 split the log at every excluded event (column gj): a path
-- may only link events of the same segment, so nothing excluded happens between the two steps.
-- Per user and step: p = the position of the first completion (firsts), d = its time from
-- step 1 (t - L) and b = the breakdown value on it (the steps row at that position).
WITH base AS (
    SELECT uid, seq AS pos, date_diff('microsecond', TIMESTAMP '1970-01-01 00:00:00', event_time) AS t{extra}, {match}
    FROM fev
    WHERE event_time >= CAST($start AS TIMESTAMP) AND event_time < CAST($stop AS TIMESTAMP) AND ({any})
),
seg AS (SELECT *{segs} FROM base),
{paths}

-- name: funnel_paths
-- The part the ordered and strict funnels share, after their `seg` (the matching events): step 1
-- starts a path, each layer continues it, and per user the first completed row of each step
-- gives its position (p1, p2, ...), the time since the path began (d1, d2, ...) and the split value.
s1 AS (SELECT uid, pos, t{carry}, t AS L FROM seg WHERE m1),
{layers},
steps AS ({union}),
firsts AS (SELECT uid, k, min(pos) AS pos, min(t) AS t0 FROM steps GROUP BY uid, k)
SELECT s.uid, min(CASE WHEN s.k = 1 THEN f.t0 END) AS entry, {user_cols}
FROM steps s JOIN firsts f ON f.uid = s.uid AND f.k = s.k AND f.pos = s.pos
GROUP BY s.uid
ORDER BY s.uid;

-- name: funnel_ordered_step
-- One layer: events of step k (kind 0) look back at the step-(k-1) rows (kind 1) before them;
-- at equal positions kind 0 sorts first, so an event never continues its own path.
s{k} AS (
    SELECT uid, pos, t{carry}, c AS L
    FROM (SELECT *, max(L) OVER (PARTITION BY uid{part} ORDER BY pos, kind
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS c
          FROM (SELECT uid, pos, t{carry}, L, 1 AS kind FROM s{j}
                UNION ALL
                SELECT uid, pos, t{carry}, CAST(NULL AS BIGINT) AS L, 0 AS kind FROM seg WHERE m{k}) u{k}) w{k}
    WHERE kind = 0 AND c >= t - $window
)

-- name: funnel_strict
-- Strict funnel: step k must be the very next event of the user (any event name) after
-- step k-1, so positions are counted over ALL the user's events in range, then only the
-- matching events are kept and linked when their positions are adjacent.
WITH allev AS (
    SELECT uid, row_number() OVER (PARTITION BY uid ORDER BY seq) AS pos,
           date_diff('microsecond', TIMESTAMP '1970-01-01 00:00:00', event_time) AS t{extra}, {match}
    FROM fev
    WHERE event_time >= CAST($start AS TIMESTAMP) AND event_time < CAST($stop AS TIMESTAMP)
),
seg AS (SELECT * FROM allev WHERE {any_m}),
{paths}

-- name: funnel_strict_step
-- One strict layer: a step-k event continues the step-(k-1) path ending exactly one event before.
s{k} AS (
    SELECT uid, pos, t{carry}, c AS L
    FROM (SELECT *, CASE WHEN lag(pos) OVER w = pos - 1 AND lag(kind) OVER w = 1 THEN lag(L) OVER w END AS c
          FROM (SELECT uid, pos, t{carry}, L, 1 AS kind FROM s{j}
                UNION ALL
                SELECT uid, pos, t{carry}, CAST(NULL AS BIGINT) AS L, 0 AS kind FROM seg WHERE m{k}) u{k}
          WINDOW w AS (PARTITION BY uid ORDER BY pos, kind)) w{k}
    WHERE kind = 0 AND c >= t - $window
)

-- name: funnel_unordered
-- Any-order funnel: from every event matching a step (time s), the first time each step
-- happens at or after s (offsets o1..on); the steps reached within [s, s + $window] are the
-- offsets <= $window. r_i ranks o_i among those offsets, so the k-th smallest is the least o_i
-- whose rank is >= k (e_k; ties count once each), and cnt = how many steps the window holds.
-- A user's k = the largest cnt of any such window (step names are distinct in this mode); the
-- window that reaches k steps first (smallest position q_k) gives d_k and b_k.
WITH base AS (
    SELECT uid, seq AS pos, date_diff('microsecond', TIMESTAMP '1970-01-01 00:00:00', event_time) AS t{extra}, {match}
    FROM fev
    WHERE event_time >= CAST($start AS TIMESTAMP) AND event_time < CAST($stop AS TIMESTAMP) AND ({any})
),
nx AS (SELECT *, {nexts} FROM base),
rk AS (SELECT *, {ranks} FROM nx),
kth AS (SELECT *, {cnt} AS cnt, {kth} FROM rk),
firsts AS (SELECT *, {firsts} FROM kth)
SELECT uid, min(t) AS entry, {user_cols}
FROM firsts
GROUP BY uid
ORDER BY uid;

-- name: funnel_events
-- `fev`, the events every behaviour query reads (funnels, paths, A/B property assignments):
-- uid, seq = the event's position in the log ordered by time and then by where it sits in
-- the source (src_file, src_row: file and row of a Parquet source; for an in-memory data set
-- its row in the time-sorted events frame, so seq is exactly that row), event_time,
-- event_name and the event properties ({props}: generated, quoted column names). Built from
-- `fev_src` inside the engine: a Parquet or catalog source's events never come into Python.
CREATE OR REPLACE TABLE fev AS
SELECT uid, CAST(row_number() OVER (ORDER BY event_time, src_file, src_row, event_name) - 1 AS BIGINT) AS seq,
       event_time, event_name{props}
FROM fev_src;

-- name: event_names
-- The event names the behaviour screens offer, most frequent first.
SELECT event_name, CAST(count(*) AS BIGINT) AS events
FROM fev
GROUP BY event_name
ORDER BY events DESC, event_name;

-- name: event_property_counts
-- How many events carry each candidate property ({counts}: one count(column) per property).
SELECT {counts} FROM fev;

-- name: event_property_values
-- The values of property {col} on events named $event (a step filter's options), at most $limit.
SELECT v FROM (
    SELECT DISTINCT CAST({col} AS VARCHAR) AS v FROM fev WHERE event_name = $event AND {col} IS NOT NULL
) x
ORDER BY v
LIMIT $limit;

-- name: event_property_first
-- Each user's first event (in log order) with a non-empty value of property {col}: that value
-- and its time (an A/B assignment read from events; a breakdown's first touch).
SELECT f.uid, CAST(f.{col} AS VARCHAR) AS value, f.event_time
FROM fev f
JOIN (SELECT uid, min(seq) AS seq FROM fev
      WHERE {col} IS NOT NULL AND CAST({col} AS VARCHAR) <> '' GROUP BY uid) m
  ON m.uid = f.uid AND m.seq = f.seq
ORDER BY f.seq;
