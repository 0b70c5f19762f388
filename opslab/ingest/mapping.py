"""Column auto-mapping (English + Chinese headers) and vectorised type coercion.

Headers are matched against synonym lists after normalisation (NFKC, so full-width letters
and digits become ASCII; lower case; spaces, underscores and hyphens removed). Values are
parsed column-wise: each distinct string is parsed once (``pd.factorize``) with Arrow-backed
regex replacements and pandas' ISO-8601 parser, and only the leftovers take slower paths.

Example
-------
>>> suggest_mapping(["用户ID", "行为时间", "订单金额"], "events")["event_time"]
'行为时间'
>>> parse_amounts(pd.Series(["¥1,280.00", "1.2万", "(35)"]))[0].tolist()
[1280.0, 12000.0, -35.0]
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np
import pandas as pd

from opslab.ingest.fastparse import fast_amounts, fast_datetimes
from opslab.schema import TABLES

# Most specific synonyms first: on a tie the earlier synonym wins.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "user_id": ("用户ID", "用户id", "用户编号", "会员ID", "会员号", "客户ID", "uid", "user id",
                "userid", "user_id", "customer_id", "member_id", "账号", "用户"),
    "event_time": ("行为时间", "事件时间", "访问时间", "发生时间", "登录时间", "event time",
                   "event_time", "timestamp", "datetime", "时间", "日期", "ts", "date", "dt",
                   "time"),
    "order_time": ("下单时间", "订单时间", "支付时间", "付款时间", "成交时间", "order_time",
                   "pay_time", "created_at", "时间", "日期", "date", "time"),
    "signup_time": ("注册时间", "注册日期", "首次访问时间", "signup_time", "register_time",
                    "reg_date", "created_at", "signup"),
    "amount": ("实付金额", "订单金额", "支付金额", "付款金额", "消费金额", "成交金额", "金额",
               "GMV", "pay_amount", "amount", "revenue", "price"),
    "event_name": ("事件名称", "行为类型", "事件", "行为", "动作", "event_name", "event",
                   "action", "type"),
    "channel": ("推广渠道", "获客渠道", "渠道", "来源", "utm_source", "channel", "source"),
    "city": ("所在城市", "城市", "city"),
    "order_id": ("订单号", "订单ID", "订单编号", "order_id", "order_no"),
    "status": ("订单状态", "支付状态", "状态", "status"),
    "campaign_id": ("活动ID", "活动编号", "campaign_id", "campaign"),
    "name": ("活动名称", "campaign_name", "name", "名称"),
    "type": ("活动类型", "campaign_type", "type", "类型"),
    "start_date": ("开始日期", "开始时间", "start_date", "start"),
    "end_date": ("结束日期", "结束时间", "end_date", "end"),
    "spend": ("投放金额", "花费", "预算", "费用", "成本", "spend", "cost", "budget"),
    "participants": ("参与人数", "participants"),
    "new_users": ("新增用户", "拉新人数", "new_users"),
    "conversions": ("转化人数", "转化数", "conversions"),
    "revenue": ("活动收入", "收入", "GMV", "revenue"),
}

MISSING_TOKENS = frozenset({"", "null", "none", "nan", "nat", "n/a", "na", "\\n", "-", "--", "#n/a"})
_PAID = {"已支付", "支付成功", "已完成", "完成", "交易成功", "已付款", "成功", "已发货", "已收货",
         "paid", "success", "completed", "complete", "done"}
_REFUNDED = {"已退款", "退款", "退款成功", "退款中", "已取消", "取消", "refunded", "refund",
             "cancelled", "canceled"}
_UNPAID = {"待支付", "未支付", "待付款", "未付款", "支付失败", "已关闭", "unpaid", "pending",
           "failed", "closed"}


@lru_cache(maxsize=65536)
def normalize_header(name: object) -> str:
    """NFKC, lower case, without spaces / underscores / hyphens: ``"User_ID "`` -> ``"userid"``."""
    text = unicodedata.normalize("NFKC", str(name)).strip().lower()
    return re.sub(r"[\s_\-.]+", "", text)


@lru_cache(maxsize=65536)
def _tokens(name: str) -> tuple[str, ...]:
    text = unicodedata.normalize("NFKC", str(name))
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text).lower()  # camelCase -> camel case
    return tuple(t for t in re.split(r"[^0-9a-z\u4e00-\u9fff]+", text) if t)


def _match_level(column: str, synonym: str) -> int:
    """3 exact, 2 normalised, 1 substring (ASCII synonyms only on word boundaries), 0 none."""
    if column.strip() == synonym:
        return 3
    col, syn = normalize_header(column), normalize_header(synonym)
    if not syn:
        return 0
    if col == syn:
        return 2
    if syn.isascii():
        toks, stoks = _tokens(column), _tokens(synonym)
        k = len(stoks)
        hit = any(toks[i:i + k] == stoks for i in range(len(toks) - k + 1))
        return 1 if hit and len(syn) > 2 else 0
    return 1 if syn in col else 0


def _best_match(column: str, field: str) -> tuple[int, int]:
    """(level, -synonym_index) of the best synonym of ``field`` for ``column``."""
    best = (0, 0)
    for i, syn in enumerate(SYNONYMS.get(field, ())):
        lvl = _match_level(column, syn)
        if lvl and (lvl, -i) > best:
            best = (lvl, -i)
    return best


def _parses(field: str, table: str, sample: pd.DataFrame | None, column: str) -> int:
    """1 when the sample values of ``column`` suit ``field`` (or nothing is known), else 0."""
    if sample is None or column not in sample.columns:
        return 1
    spec = TABLES[table]
    values = sample[column].head(200)
    if field in spec.times + spec.dates:
        return int(_share_parsed(parse_datetimes, values) >= 0.5)  # messy columns still count
    if field in spec.money + spec.numbers:
        return int(_share_parsed(parse_amounts, values) >= 0.5)
    if field in ("event_name", "channel", "city", "name", "type", "status"):
        # A column full of dates is not a name, however its header reads ("行为时间").
        return int(_share_parsed(parse_datetimes, values) < 0.8)
    return 1


def _share_parsed(parser, values: pd.Series) -> float:
    parsed, failed = parser(values)
    n_ok = int(parsed.notna().sum())
    total = n_ok + int(failed.sum())
    return n_ok / total if total else 0.0


def suggest_mapping(columns: list[str], table: str,
                    sample: pd.DataFrame | None = None) -> dict[str, str | None]:
    """Guess which source column holds each canonical field of ``table``.

    Candidates are ranked by (values parse as the field's type in ``sample``, exact > normalised
    > substring header match, more specific synonym, earlier column); each source column and
    each field is used at most once.

    >>> suggest_mapping(["会员号", "下单时间", "实付金额", "订单状态"], "orders")["status"]
    '订单状态'
    """
    spec = TABLES[table]
    cands = []
    for field in spec.columns:
        for j, col in enumerate(columns):
            level, spec_rank = _best_match(col, field)
            if level:
                cands.append((level, spec_rank, -j, field, col))
    scored = [(_parses(f, table, sample, c), lvl, sr, j, f, c) for lvl, sr, j, f, c in cands]
    scored.sort(reverse=True)
    result: dict[str, str | None] = dict.fromkeys(spec.columns)
    used: set[str] = set()
    for _ok, _lvl, _sr, _j, field, col in scored:
        if result[field] is None and col not in used:
            result[field] = col
            used.add(col)
    return result


def suggest_table(columns: list[str]) -> str:
    """Guess the canonical table a file holds from its headers.

    >>> suggest_table(["活动ID", "开始日期", "结束日期", "花费"])
    'campaigns'
    """
    fields = [f for f in SYNONYMS if f not in ("name", "type")]
    found: set[str] = set()
    blocking = False  # a column that only events or orders can explain
    for col in columns:
        levels = {f: _best_match(col, f)[0] for f in fields}
        top = max(levels.values())
        if not top:
            continue
        best = {f for f, lvl in levels.items() if lvl == top}
        found |= best
        if best.isdisjoint({"user_id", "signup_time", "channel", "city"}):
            blocking = True
    if "spend" in found and found & {"start_date", "end_date"}:
        return "campaigns"
    if found & {"amount", "revenue"} and found & {"order_time", "order_id", "status"}:
        return "orders"
    if "user_id" in found and not blocking:
        return "users"
    return "events"


# ---------------------------------------------------------------- value parsing helpers
def _prepare(s: pd.Series) -> tuple[np.ndarray, pd.Series, np.ndarray]:
    """Factorise ``s``; return codes, the cleaned distinct strings and their missing mask."""
    s = pd.Series(s, copy=False)
    if not isinstance(s.dtype, pd.StringDtype):
        s = s.astype("str")
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    u = pd.Series(uniques.array if isinstance(uniques, pd.Index) else uniques, dtype="str")
    if len(u) and u.str.contains(r"[^\x00-\x7f]", regex=True).fillna(False).any():
        u = u.str.normalize("NFKC")
    u = u.str.strip()
    missing = (u.isna() | u.str.lower().isin(MISSING_TOKENS)).to_numpy(dtype=bool)
    return codes, u, missing


def _expand(codes: np.ndarray, values: np.ndarray, failed: np.ndarray, index, dtype):
    fill = np.array([np.nan], dtype=values.dtype) if values.dtype.kind != "M" else \
        np.array(["NaT"], dtype=values.dtype)
    vals = np.concatenate([values, fill])[codes]   # code -1 (missing) picks the filler
    bad = np.concatenate([failed, [False]])[codes]
    return pd.Series(vals, index=index, dtype=dtype), pd.Series(bad, index=index, dtype=bool)


_EXCEL_EPOCH = np.datetime64("1899-12-30T00:00:00", "us")


def _parse_numeric_dates(text: pd.Series) -> np.ndarray:
    """Digit-only strings: yyyymmdd, yyyymmddHHMM(SS), Excel serials, epoch s / ms."""
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[us]")
    lens = text.str.len().to_numpy()
    is_int = text.str.fullmatch(r"\d+").fillna(False).to_numpy(dtype=bool)
    for n, fmt in ((8, "%Y%m%d"), (12, "%Y%m%d%H%M"), (14, "%Y%m%d%H%M%S")):
        m = is_int & (lens == n)
        if m.any():
            out[m] = pd.to_datetime(text[m], format=fmt, errors="coerce").to_numpy("datetime64[us]")
    v = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    rest = np.isnat(out) & ~(is_int & np.isin(lens, (8, 12, 14)))
    excel = rest & (v >= 20000) & (v <= 80000)
    secs = rest & (v >= 1e9) & (v < 2.2e9)
    msecs = rest & (v >= 1e12) & (v < 2.2e12)
    out[excel] = _EXCEL_EPOCH + np.round(v[excel] * 86400).astype("int64") * np.timedelta64(1, "s")
    out[secs] = (np.round(v[secs] * 1e6).astype("int64")).astype("datetime64[us]")
    out[msecs] = (np.round(v[msecs] * 1e3).astype("int64")).astype("datetime64[us]")
    return out


def _iso(text: pd.Series) -> np.ndarray:
    try:
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    except (ValueError, TypeError, OverflowError):  # mixed offsets left after cleaning
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return np.array(parsed.to_numpy("datetime64[us]"), copy=True)


_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def _parse_day_month(text: pd.Series) -> np.ndarray:
    """``1/5/2024``: day-first or month-first, whichever reads more values (ties: month-first)."""
    parts = text.str.extract("^" + _DMY.pattern + "$")
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[us]")
    ok = parts[0].notna().to_numpy()
    if not ok.any():
        return out
    p = parts[ok].astype(float).fillna(0)
    results = []
    for month, day in ((0, 1), (1, 0)):
        frame = pd.DataFrame({"year": p[2], "month": p[month], "day": p[day],
                              "hour": p[3], "minute": p[4], "second": p[5]})
        results.append(pd.to_datetime(frame, errors="coerce").to_numpy("datetime64[us]"))
    month_first, day_first = results
    pick = day_first if (~np.isnat(day_first)).sum() > (~np.isnat(month_first)).sum() else month_first
    out[ok] = pick
    return out


def _sub(t: pd.Series, pattern: str, repl: str) -> pd.Series:
    """Regex replace only where the pattern occurs (some patterns leave Arrow's fast path)."""
    probe = re.sub(r"\((?!\?)", "(?:", pattern)  # no capture groups: no pandas warning
    hit = t.str.contains(probe, regex=True).fillna(False)
    if not hit.any():
        return t
    t = t.copy()
    t[hit] = t[hit].str.replace(pattern, repl, regex=True)
    return t


def _parse_text_dates(text: pd.Series) -> np.ndarray:
    t = text.reset_index(drop=True)
    if t.str.contains(r"[年月日时點点分秒]", regex=True).fillna(False).any():
        t = t.str.replace(r"[年月]", "-", regex=True).str.replace("日", " ")
        t = t.str.replace(r"[时點点分]", ":", regex=True).str.replace("秒", "")
    t = _sub(t, r"(:\d{2}(?:\.\d+)?)[ \t]*(?:Z|UTC|GMT|[+-]\d{2}:?\d{2})$", r"\1")
    slash = t.str.match(r"\d{4}/\d{1,2}/").fillna(False)  # 2024/1/5 -> 2024-1-5
    if slash.any():
        t = t.where(~slash, t.str.replace("/", "-", regex=False))
    t = _sub(t, r"^(\d{4})\.(\d{1,2})\.(\d{1,2})", r"\1-\2-\3")
    t = _sub(t, r"[ \t]{2,}", " ").str.strip(" :-")
    out = _iso(t)
    left = np.isnat(out)
    if left.any():
        out[left] = _parse_day_month(t[left])
    left = np.isnat(out) & t.str.contains(r"[A-Za-z]{3}", regex=True).fillna(False).to_numpy(bool) \
        & t.str.contains(r"\d{4}", regex=True).fillna(False).to_numpy(bool)
    for i in np.flatnonzero(left)[:10000]:  # month names ("Jan 5, 2024"): rare, so per value
        try:
            ts = pd.to_datetime(t.iloc[i], format="mixed")
            out[i] = (ts.tz_localize(None) if ts.tzinfo else ts).to_datetime64()
        except (ValueError, TypeError, OverflowError):
            pass
    return out


_UNIFORM_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d")


def _parse_uniform(s: pd.Series) -> tuple[pd.Series, pd.Series] | None:
    """Fast path for the common case of one fixed format (warehouse and app exports): parse the
    whole column in C when a sample fits a format and then every non-empty cell does; else
    ``None`` and the general parser runs."""
    present = s.notna()
    n_present = int(present.sum())
    if n_present == 0:
        return None
    sample = s[present].head(200)
    for fmt in _UNIFORM_FORMATS:
        if pd.to_datetime(sample, format=fmt, errors="coerce").isna().any():
            continue
        parsed = pd.to_datetime(s, format=fmt, errors="coerce")
        if int(parsed.notna().sum()) == n_present:
            out = pd.Series(parsed.to_numpy("datetime64[us]"), index=s.index, dtype="datetime64[us]")
            return out, pd.Series(False, index=s.index, dtype=bool)
        return None  # a few odd cells: let the general parser find and report them
    return None


def parse_datetimes(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a column of date/time strings in any of the spreadsheet and warehouse forms.

    Returns ``(datetime64[us] Series, failed mask)``; empty cells are NaT and not failed.
    Time-zone suffixes are dropped (the wall-clock time is kept); epoch numbers are UTC.

    >>> parse_datetimes(pd.Series(["2024年1月5日", "45296", "20240105"]))[0].dt.day.tolist()
    [5, 5, 5]
    """
    fast = fast_datetimes(s)  # big well-formed columns, in Arrow
    if fast is None:
        fast = _parse_uniform(s)
    if fast is not None:
        return fast
    codes, u, missing = _prepare(s)
    out = np.full(len(u), np.datetime64("NaT"), dtype="datetime64[us]")
    numeric = u.str.fullmatch(r"\d+(?:\.\d+)?").fillna(False).to_numpy(dtype=bool) & ~missing
    if numeric.any():
        out[numeric] = _parse_numeric_dates(u[numeric])
    text = ~numeric & ~missing
    if text.any():
        out[text] = _parse_text_dates(u[text])
    failed = np.isnat(out) & ~missing
    return _expand(codes, out, failed, s.index, "datetime64[us]")


_AMOUNT = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?|[+-]?\.\d+"


def parse_amounts(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse money / count strings: ``¥1,280.00``, ``1280元``, ``(1,200)``, ``1.2万``, ``１２８０``.

    Returns ``(float64 Series, failed mask)``; empty cells are NaN and not failed; percentages
    and European ``1 280,00`` forms fail rather than being misread.

    >>> parse_amounts(pd.Series(["$12.5", "12.5%", ""]))[1].tolist()
    [False, True, False]
    """
    fast = fast_amounts(s)  # big columns of plain numbers, in Arrow
    if fast is not None:
        return fast
    codes, u, missing = _prepare(s)
    t = u.str.replace("\u2212", "-")
    neg = t.str.fullmatch(r"\(.*\)").fillna(False).to_numpy(dtype=bool)
    t = t.str.replace(r"^\((.*)\)$", r"\1", regex=True).str.strip()
    t = t.str.replace(r"(?i)^([+-]?)[ \t]*(?:rmb|cny|usd|us\$|hk\$|¥|\$|€|£)[ \t]*", r"\1", regex=True)
    t = t.str.replace(r"(?i)[ \t]*(?:元|人民币|块|rmb|cny|usd)$", "", regex=True)
    mult = np.where(t.str.endswith("亿").fillna(False), 1e8,
                    np.where(t.str.endswith("万").fillna(False), 1e4, 1.0))
    t = t.str.replace(r"[ \t]*[万亿]$", "", regex=True)
    valid = t.str.fullmatch(_AMOUNT).fillna(False).to_numpy(dtype=bool) & ~missing
    values = pd.to_numeric(t.where(valid).str.replace(",", ""), errors="coerce").to_numpy(float)
    values = np.where(valid, values * mult * np.where(neg, -1.0, 1.0), np.nan)
    failed = ~missing & (~valid | np.isinf(values))
    values = np.where(failed, np.nan, values)
    return _expand(codes, values, failed, s.index, "float64")


def parse_status(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Map order-status strings to ``"paid"``, ``"refunded"`` or ``"unpaid"``.

    Empty cells become ``"paid"``; unknown values become ``"paid"`` and are flagged in the
    returned mask so the caller can report how many were guessed.

    >>> parse_status(pd.Series(["已退款", "支付成功", "???"]))[0].tolist()
    ['refunded', 'paid', 'paid']
    """
    codes, u, missing = _prepare(s)
    key = u.str.lower()
    status = np.full(len(u), "paid", dtype=object)
    status[key.isin(_REFUNDED).to_numpy(bool)] = "refunded"
    status[key.isin(_UNPAID).to_numpy(bool)] = "unpaid"
    unknown = ~missing & ~key.isin(_PAID | _REFUNDED | _UNPAID).to_numpy(bool)
    vals = np.concatenate([status, ["paid"]])[codes]
    bad = np.concatenate([unknown, [False]])[codes]
    return (pd.Series(vals, index=s.index, dtype="str"),
            pd.Series(bad, index=s.index, dtype=bool))
