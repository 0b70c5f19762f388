-- Funnel queries (opslab/funnels.py). The number of steps varies, so these blocks are templates:
-- <placeholders> receive generated, quoted identifiers and per-step expressions (built from the
-- *_step blocks below); every value (event names, property values, times) is a bound $param.
-- Events come from `fev` (uid, seq = position in the time-sorted log, event_time, event_name,
-- attribute columns). Times are compared as epoch microseconds; $window is in microseconds.

-- name: funnel_ordered
-- Ordered funnel as a dynamic programme over each user's events: Lk on an event matching
-- step k is the LATEST step-1 time of any valid path ending there (later steps before this
-- event, in log order). The latest start keeps the most room in the conversion window, so a
-- user reaches step k exactly when some event has Lk within $window of its own time.
-- Exclusions between step j and j+1 split the log at every excluded event (gj): a path may
-- only link events of the same segment, so nothing excluded happens between the two steps.
WITH base AS (
    SELECT uid, seq AS pos, epoch_us(event_time) AS t{extra}, {match}
    FROM fev
    WHERE event_time >= $start AND event_time < $stop AND ({any})
),
seg AS (SELECT *{segs} FROM base),
{layers}
SELECT uid, min(t) FILTER (WHERE m1) AS entry, {user_cols}
FROM l{n}
GROUP BY uid
HAVING count(L1) > 0;

-- name: funnel_ordered_step
-- One layer of the ordered programme: step k links to the best step-j start seen earlier.
l{k} AS (
    SELECT * EXCLUDE (c), CASE WHEN c >= t - $window THEN c END AS L{k}
    FROM (SELECT *, CASE WHEN m{k} THEN max(L{j}) OVER (PARTITION BY uid{part} ORDER BY pos
                                                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) END AS c
          FROM l{j})
)

-- name: funnel_strict
-- Strict funnel: step k must be the very next event of the user (any event name) after
-- step k-1, so positions are counted over ALL the user's events in range, then only the
-- matching events are kept and linked when their positions are adjacent.
WITH allev AS (
    SELECT uid, row_number() OVER (PARTITION BY uid ORDER BY seq) AS pos,
           epoch_us(event_time) AS t{extra}, {match}
    FROM fev
    WHERE event_time >= $start AND event_time < $stop
),
seg AS (SELECT * FROM allev WHERE {any_m}),
{layers}
SELECT uid, min(t) FILTER (WHERE m1) AS entry, {user_cols}
FROM l{n}
GROUP BY uid
HAVING count(L1) > 0;

-- name: funnel_strict_step
-- One layer of the strict programme: step k continues a step-j path ending one event before.
l{k} AS (
    SELECT * EXCLUDE (c), CASE WHEN c >= t - $window THEN c END AS L{k}
    FROM (SELECT *, CASE WHEN m{k} AND lag(pos) OVER w = pos - 1 THEN lag(L{j}) OVER w END AS c
          FROM l{j} WINDOW w AS (PARTITION BY uid ORDER BY pos))
)

-- name: funnel_unordered
-- Any-order funnel: from every event matching a step (time s), the first time each step
-- happens at or after s; the steps reached within [s, s + $window] are those offsets <= $window.
-- A user's k = the most steps any such window holds (step names are distinct in this mode).
WITH base AS (
    SELECT uid, seq AS pos, epoch_us(event_time) AS t{extra}, {match}
    FROM fev
    WHERE event_time >= $start AND event_time < $stop AND ({any})
),
nx AS (SELECT *, {nexts} FROM base),
l{n} AS (
    SELECT *, list_sort(list_filter([{offsets}], x -> x IS NOT NULL AND x <= $window)) AS offs
    FROM nx
)
SELECT uid, min(t) AS entry, {user_cols}
FROM l{n}
GROUP BY uid;
