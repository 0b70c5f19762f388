"""Rules of the house that keep the app safe and the engine usable on its own."""

from __future__ import annotations

import ast
import json
import re
import string
import warnings
from pathlib import Path

from opslab.engine.base import sql_catalog

ROOT = Path(__file__).resolve().parents[1]


def test_no_top_level_pages_folder():
    # Streamlit runs files in a top-level pages/ folder as a legacy multipage app: a deep link
    # would run the page without app.py, i.e. without the sign-in gate. Screens live in views/.
    assert not (ROOT / "pages").exists()
    assert (ROOT / "views").is_dir()


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _engine_modules() -> list[Path]:
    """The engine's own modules: every .py in opslab/ but the rooms' tests."""
    return [p for p in (ROOT / "opslab").rglob("*.py") if "tests" not in p.relative_to(ROOT).parts]


def test_engine_never_imports_streamlit_or_the_ui():
    offenders = [str(p.relative_to(ROOT)) for p in _engine_modules()
                 if _imports(p) & {"streamlit", "ui", "views"}]
    assert offenders == []


def test_rooms_tests_never_import_streamlit_or_the_ui():
    """A room's tests test the room; tests of the screens and their glue live in tests/."""
    room_tests = [p for p in (ROOT / "opslab").rglob("*.py") if "tests" in p.relative_to(ROOT).parts]
    offenders = [str(p.relative_to(ROOT)) for p in room_tests if _imports(p) & {"streamlit", "ui", "views"}]
    assert offenders == []


def test_no_import_hidden_inside_a_function_in_the_engine():
    # Imports sit at the top of a module, so a reader sees a module's dependencies at once
    # and a broken import fails at start-up, not on some later click. The one exception is an
    # optional dependency: pyspark (requirements-spark.txt) is imported when a Spark engine is
    # asked for, so a DuckDB-only install never needs it.
    assert _hidden_imports(_engine_modules(), allowed=lambda module: module.split(".")[0] == "pyspark") == []


def _hidden_imports(paths, allowed) -> list[str]:
    """``file:line`` of every import inside a function whose module ``allowed`` does not accept."""
    hidden = []
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Import):
                        modules = [a.name for a in inner.names]
                    elif isinstance(inner, ast.ImportFrom):
                        modules = [inner.module or ""]
                    else:
                        continue
                    if not all(allowed(m) for m in modules):
                        hidden.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    return hidden


def test_no_import_hidden_inside_a_function_in_the_screens_and_the_glue():
    # As in the engine. The one exception: Streamlit's private modules (its OIDC cookie helpers
    # in ui/server_auth.py), which move between Streamlit versions and are asked for inside a
    # try with a fallback.
    paths = [*ROOT.glob("ui/*.py"), *ROOT.glob("views/*.py"), ROOT / "app.py", ROOT / "serve.py"]
    assert len(paths) > 25
    private_streamlit = ("streamlit.user_info", "streamlit.auth_util", "streamlit.web.")
    assert _hidden_imports(paths, allowed=lambda module: module.startswith(private_streamlit)) == []


#: The house rule: small modules named for what they hold, in a room (a folder) named for the
#: feature. Past the soft budget a module is worth a look (a warning); past the hard one it must
#: be split by what it holds, inside its room.
LINE_BUDGET_SOFT = 400
LINE_BUDGET_HARD = 600


def _module_sizes() -> dict[str, int]:
    files = [p for p in _engine_modules() if p.suffix == ".py"]
    files += [p for folder in ("views", "ui") for p in (ROOT / folder).rglob("*.py")]
    assert len(files) > 100  # the three folders were found
    return {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines()) for p in files}


def test_every_module_of_the_engine_screens_and_glue_within_the_line_budget():
    sizes = _module_sizes()
    large = {n: k for n, k in sizes.items() if k > LINE_BUDGET_SOFT}
    if large:
        warnings.warn(f"modules over {LINE_BUDGET_SOFT} lines: {large}", stacklevel=1)
    over = {n: k for n, k in sizes.items() if k > LINE_BUDGET_HARD}
    assert not over, over


#: The rooms of the engine from the bottom up: a room imports only rooms listed before it
#: (``present``, the words and drawings, is outside the analyses: only ``report`` uses it;
#: ``api``, the notebook API by feature, sits on every analysis room and under nothing).
LAYERS = ("engine", "core", "ingest", "dataset", "metrics|lifecycle|behaviour|models", "planning",
          "present", "report", "api", "workspace", "synth")


def _room_imports() -> dict[str, set[str]]:
    rooms: dict[str, set[str]] = {}
    for path in _engine_modules():
        parts = path.relative_to(ROOT / "opslab").parts
        if len(parts) < 2:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] if node.module != "opslab" else [f"opslab.{a.name}" for a in node.names]
            else:
                continue
            for name in names:
                bits = name.split(".")
                if bits[0] == "opslab" and len(bits) > 1 and bits[1] != parts[0] and (ROOT / "opslab" / bits[1]).is_dir():
                    rooms.setdefault(parts[0], set()).add(bits[1])
    return rooms


def _layer(room: str) -> int:
    return next(i for i, names in enumerate(LAYERS) if room in names.split("|"))


def test_rooms_import_only_rooms_below_them_so_no_package_cycle():
    rooms = {p.name for p in (ROOT / "opslab").iterdir() if (p / "__init__.py").exists()}
    assert rooms == {r for names in LAYERS for r in names.split("|")}  # every room has its layer
    upward = sorted(f"{a} -> {b}" for a, deps in _room_imports().items() for b in deps
                    if _layer(b) > _layer(a) or (_layer(b) == _layer(a) and b in ("present",)))
    assert upward == [f for f in KNOWN_UPWARD]


#: Upward imports still to remove (each names its way out).
KNOWN_UPWARD: list[str] = []


def test_no_cycle_between_rooms_of_the_same_layer():
    deps = _room_imports()

    def reach(start):
        seen, todo = set(), [start]
        while todo:
            for nxt in deps.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    assert sorted(r for r in deps if r in reach(r)) == []


#: What the engine may raise: ValueError / TypeError for bad arguments, OpsLabError (a ValueError
#: carrying a Problem) for data that cannot give an answer. A bare ``raise`` re-raises.
ALLOWED_ERRORS = {"ValueError", "TypeError", "OpsLabError", "NotImplementedError", "StopIteration",
                  "AttributeError",  # only from module __getattr__ (PEP 562)
                  "OSError",  # I/O that failed: a chat robot that did not answer (report/push.py)
                  "SystemExit", "ArgumentTypeError",  # command-line entry points (argparse)
                  "NotEnoughCampaigns"}  # an OpsLabError (models/campaigns.py)


def test_the_engine_raises_only_the_errors_of_the_error_rule():
    found = []
    for path in _engine_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and node.exc is not None:
                exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                name = exc.id if isinstance(exc, ast.Name) else exc.attr if isinstance(exc, ast.Attribute) else ""
                if name and name[0].isupper() and name not in ALLOWED_ERRORS:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    assert found == []


# -- one API shape -------------------------------------------------------------------------------
#: Public functions of ``opslab`` that bring data in rather than analyse a data set; each says why
#: its shape is its own.
DATA_IN = {
    "load": "files in: returns a LoadResult (the Dataset, each file's steps, the upload's decisions)",
    "load_sample": "the built-in sample as a Dataset, through the same pipeline as load",
    "connect": "a Parquet / Spark source as a Dataset",
    "saved_targets": "the targets saved for a data set, as a list of Target",
}
#: Settings every analysis takes by keyword only, default None (the day, the lifecycle rules,
#: the analysis's config object).
API_KEYWORDS = ("as_of", "rules", "config")
#: Names that hide a unit or an old spelling: horizons carry their unit (horizon_days,
#: horizon_periods), lists their length as top_n.
API_STALE_NAMES = {"horizon", "periods", "top", "metric_name", "kpi_name"}
_PERIOD_LIKE = re.compile(r"^\d{4}(-?Q[1-4]|-\d{2}(-\d{2})?)$")


def _api_offences(functions: dict) -> list[str]:
    """``name: what`` for every analysis off the one shape ``fn(ds, subject, *, as_of=None,
    rules=None, config=None) -> *Result`` (the result with ``.frame``, ``.problems``,
    ``.config``, ``.as_of``), with a horizon without its unit or a default fixed to a date."""
    import inspect
    import typing

    from opslab.core.results import SURFACE
    found = []
    for name, fn in sorted(functions.items()):
        params = inspect.signature(fn).parameters
        if next(iter(params), None) != "ds":
            found.append(f"{name}: the data set is not the first parameter")
        for key in API_KEYWORDS:
            p = params.get(key)
            if p is None or p.kind is not p.KEYWORD_ONLY or p.default is not None:
                found.append(f"{name}: {key} is not keyword-only with default None")
        found += [f"{name}: {p} names no unit or an old spelling" for p in params if p in API_STALE_NAMES]
        found += [f"{name}: {p.name} defaults to the fixed day or period {p.default!r}" for p in params.values()
                  if isinstance(p.default, str) and _PERIOD_LIKE.match(p.default)]
        returned = typing.get_type_hints(fn).get("return")
        types = typing.get_args(returned) or (returned,)
        for t in types:
            if not (isinstance(t, type) and t.__name__.endswith("Result")):
                found.append(f"{name}: returns {getattr(t, '__name__', t)}, not a *Result")
                continue
            missing = [a for a in SURFACE if not hasattr(t, a) and a not in getattr(t, "__dataclass_fields__", {})]
            if missing:
                found.append(f"{name}: {t.__name__} lacks {', '.join(missing)}")
    return found


def test_the_api_shape_rule_sees_every_kind_of_offence():
    from dataclasses import dataclass

    @dataclass
    class GoodResult:
        frame: object = None
        problems: tuple = ()
        config: object = None
        as_of: object = None

    class Bare:
        pass

    def good(ds, subject=None, *, as_of=None, rules=None, config=None) -> GoodResult: ...
    def positional(ds, subject, as_of=None, *, rules=None, config=None) -> GoodResult: ...
    def data_second(subject, ds, *, as_of=None, rules=None, config=None) -> GoodResult: ...
    def no_rules(ds, *, as_of=None, config=None) -> GoodResult: ...
    def bare(ds, *, as_of=None, rules=None, config=None) -> Bare: ...
    def frame(ds, *, as_of=None, rules=None, config=None) -> list: ...
    def unitless(ds, *, as_of=None, rules=None, config=None, horizon=90) -> GoodResult: ...
    def stale(ds, *, as_of=None, rules=None, config=None, period="2026Q3") -> GoodResult: ...

    fns = {f.__name__: f for f in (good, positional, data_second, no_rules, bare, frame, unitless, stale)}
    local = {"GoodResult": GoodResult, "Bare": Bare, "list": list}
    for f in fns.values():  # the annotations are strings (PEP 563) naming classes local to this test
        f.__annotations__["return"] = local[f.__annotations__["return"]]
    found = _api_offences(fns)
    assert {o.split(":")[0] for o in found} == set(fns) - {"good"}
    assert _api_offences({"good": good}) == []


def test_every_public_analysis_has_the_one_api_shape():
    """Every public function of ``opslab`` but the ones that bring data in takes the data set
    first and ``as_of`` / ``rules`` / ``config`` by keyword, and returns a ``*Result`` with the
    shared surface (issue 23)."""
    import inspect

    import opslab
    functions = {n: getattr(opslab, n) for n in opslab.__all__ if inspect.isfunction(getattr(opslab, n))}
    assert set(DATA_IN) <= set(functions) and len(functions) > 20  # the check sees the API
    assert _api_offences({n: f for n, f in functions.items() if n not in DATA_IN}) == []


# -- thin screens: views translate, lay out and draw ---------------------------------------------
#: pandas reshaping and aggregation that belongs in the engine room owning the figure.
ANALYSIS_CALLS = {"groupby", "pivot", "pivot_table", "crosstab", "resample"}


def _has_spec(template: str) -> bool:
    """True when a ``str.format`` template holds a format spec (``"{:,.1f}"``, ``"{x:.0%}"``)."""
    try:
        return any(spec for _, field, spec, _ in string.Formatter().parse(template) if field is not None)
    except ValueError:  # not a template at all (a lone brace): no spec either
        return False


def _screen_offences(source: str, name: str = "<string>") -> list[str]:
    """``name:line what`` for every number formatted or figure computed in a screen's source:
    a format spec in an f-string, in a ``"...".format`` template or in ``format(x, spec)``,
    ``"..." % x`` formatting, and pandas group-bys, pivots, cross tables and resampling."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            found.append(f"{name}:{node.lineno} format spec in an f-string")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func.value
            if (node.func.attr == "format" and isinstance(target, ast.Constant) and isinstance(target.value, str)
                    and _has_spec(target.value)):
                found.append(f"{name}:{node.lineno} format spec in str.format")
            elif node.func.attr in ANALYSIS_CALLS:
                found.append(f"{name}:{node.lineno} .{node.func.attr}()")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "format"
              and len(node.args) > 1):
            found.append(f"{name}:{node.lineno} format(x, spec)")
        elif (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant)
              and isinstance(node.left.value, str)):
            found.append(f"{name}:{node.lineno} % formatting")
    return sorted(found, key=lambda o: int(o.split(" ", 1)[0].rsplit(":", 1)[1]))


def test_the_screen_rule_sees_every_kind_of_offence_and_nothing_else():
    offending = '''
a = f"{x:,.1f}"
b = f"{x * 100:+.1f} pp"
c = "{:.0%}".format(x)
d = "{n:,}".format(n=3)
e = format(x, ",")
f = "%.2f" % x
g = frame.groupby("tier")["clv"].mean()
h = frame.pivot(index="a", columns="b", values="c")
i = pd.pivot_table(frame, index="a")
j = pd.crosstab(frame.a, frame.b)
k = frame.resample("W").sum()
'''
    assert [o.split(" ", 1)[0] for o in _screen_offences(offending)] == [f"<string>:{n}" for n in range(2, 13)]
    harmless = '''
# a comment with f"{x:.1f}" and frame.groupby("tier") is not code
"""nor is a docstring naming df.pivot() or "{:.2f}".format(x)"""
a = f"{md(name)}: {fmt.integer(n)} ({x!r})"
b = tr("key", n=fmt.pct(x, 0)) + "{name}".format(name=name)
c = st.slider("x", format="%+.1f%%")
d = frame.rename(columns=labels).sort_values("users")
'''
    assert _screen_offences(harmless) == []


def test_screens_hold_no_number_format_and_no_analysis():
    """Views translate, lay out and draw: every number reaches them formatted by
    ``opslab.present.formatting`` and every figure computed in its engine room (issue 23)."""
    paths = sorted((ROOT / "views").glob("*.py"))
    assert len(paths) > 10
    found = [o for p in paths for o in _screen_offences(p.read_text(encoding="utf-8"), str(p.relative_to(ROOT)))]
    assert found == []


def test_no_locale_string_carries_a_number_format():
    """Numbers reach the words already written by ``opslab.present.formatting`` (engine messages
    through ``opslab.present.messages.numbers``): a locale string holds placeholders only, never
    a format spec (``{pct:.0%}``) or a conversion (``{x!r}``), so both languages show one style."""
    found = []
    for path in sorted((ROOT / "opslab" / "present" / "locales").glob("*.json")):
        for key, text in json.loads(path.read_text(encoding="utf-8")).items():
            try:
                fields = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(text) if f is not None]
            except ValueError:  # a lone brace: no template, no spec
                continue
            found += [f"{path.name} {key} {{{f}:{spec}}}" for f, spec, conv in fields if spec or conv]
    assert found == []
    assert _has_spec("{pct:.0%}") and not _has_spec("{pct}")  # the check sees what it must see


def test_spark_tests_live_in_files_named_for_them():
    """``make test`` runs every ``test_spark_*.py`` file in one worker, so one JVM serves them all
    (conftest.scheduling_unit): a test that starts Spark from any other file would start a second
    JVM beside it on a 2-core machine."""
    spark_use = ("mark.spark", "spark_or_skip", "spark_session(")
    offenders = [str(p.relative_to(ROOT)) for p in ROOT.glob("**/test_*.py")
                 if ".venv" not in p.parts and not p.name.startswith("test_spark_")
                 and p.name != Path(__file__).name
                 and any(s in p.read_text(encoding="utf-8") for s in spark_use)]
    assert offenders == []
# -- one per-user feature query ----------------------------------------------------------------
#: Named queries that aggregate the per-user day tables (user_day, paid_day) by user although
#: opslab/dataset/features.sql (``user_features``) is THE per-user feature query, each with why
#: its figure is not one of that table's. A new entry needs a reason as good as these.
PER_USER_ELSEWHERE = {
    "user_first": "engine/prepare.sql: the derived table the feature query itself reads (signup, "
                  "first / last active and first paid day over all the data)",
    "lifecycle_user_m1": "lifecycle/lifecycle.sql: the M1 retention flag (active in the calendar month "
                         "after the signup month), a retention figure, not a feature as of a day",
    "churn_label_window": "models/churn.sql: who is active or pays AFTER the cutoff: the label, not a feature",
    "people_events_refunds": "behaviour/people.sql: a user's events and the refund rows GMV subtracts, "
                             "which the feature table does not define (the rest of a user's story "
                             "is read from it)",
    "explore_v_events": "behaviour/explore.sql: per-user values inside a chosen period [start, stop) "
                        "for the distribution screen, not as of a day",
    "explore_v_active_days": "behaviour/explore.sql: as explore_v_events",
    "explore_v_orders": "behaviour/explore.sql: as explore_v_events",
    "explore_v_gmv": "behaviour/explore.sql: as explore_v_events (GMV: net of refunds)",
    "ab_user_metrics": "behaviour/experiments.sql: an A/B test's outcomes per assigned user, counted "
                       "from each user's exposure, not as of a day",
}
_SQL_COMMENT = re.compile(r"--[^\n]*")
#: grouped by the user alone (a user and a period, a cohort or a variant is another figure)
_BY_USER = re.compile(r"GROUP\s+BY\s+(\w+\.)?uid\b(?!\s*,)", re.IGNORECASE)
_DAY_TABLES = re.compile(r"\b(FROM|JOIN)\s+(user_day|paid_day)\b", re.IGNORECASE)
#: The modules whose per-user features the shared table serves.
FEATURE_READERS = ("opslab/lifecycle/tiers.py", "opslab/lifecycle/rfm.py",
                   "opslab/models/churn_features.py", "opslab/models/clv.py")


def _per_user_queries() -> set[str]:
    """Named queries that read user_day / paid_day and group by the user alone."""
    out = set()
    for name, sql in sql_catalog().items():
        body = _SQL_COMMENT.sub("", sql)
        if _DAY_TABLES.search(body) and _BY_USER.search(body):
            out.add(name)
    return out


def test_one_per_user_feature_query():
    """Recency, frequency, monetary, first / last day, active days and tenure are computed by
    one query: no other SQL groups the active or paid days by user, except the listed ones."""
    found = _per_user_queries()
    assert "user_features" in found  # the check sees the one it must see
    assert found - {"user_features"} - set(PER_USER_ELSEWHERE) == set()
    assert set(PER_USER_ELSEWHERE) - found == set()  # no stale exception
    # the four old per-user queries are gone for good
    assert {"lifecycle_features", "rfm_values", "churn_features", "customer_summary"} & set(sql_catalog()) == set()


def test_lifecycle_rfm_churn_and_clv_read_the_shared_feature_table():
    for rel in FEATURE_READERS:
        text = (ROOT / rel).read_text(encoding="utf-8")
        assert "features.user_features(" in text, rel
        run = set(re.findall(r"engine\.(?:run|sql)\(\s*\"(\w+)\"", text))
        assert run & _per_user_queries() <= {"churn_label_window", "lifecycle_user_m1"}, (rel, run)


def test_the_browser_walk_opens_every_page_of_the_app():
    # tests/e2e/test_screens_shots.py walks PAGES in both languages and fails on raw None/nan,
    # internal keys and unfinished charts: a page left out of it is never looked at that way.
    app = (ROOT / "app.py").read_text(encoding="utf-8")
    pages = set(re.findall(r'url_path="([a-z_]+)"', app)) - {"overview"}  # the Overview is ""
    walk = (ROOT / "tests" / "e2e" / "test_screens_shots.py").read_text(encoding="utf-8")
    walked = set(ast.literal_eval(re.search(r"^PAGES = (\(.*?\))$", walk, re.M | re.S).group(1)))
    assert len(pages) >= 13
    assert pages <= walked, pages - walked
