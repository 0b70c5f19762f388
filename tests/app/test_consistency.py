"""One number, one value: walk the screens that show a catalogue figure for a period (the
Overview at quarter grain: KPI cards, their 环比 and the lead cards; the Targets page's 完成度
table for that quarter), the quarterly report as HTML and the digest, in both languages, on
the sample and on the CDNOW real purchase log (tests/realdata.py). Every displayed
(metric, period, value) is collected, the metric recognised by its catalogue name (one name
per meaning), and the test fails when one (metric, period) pair shows two values.

The same collection also proves that the walk saw the figures it should (GMV, paying users,
average DAU, peak DAU and retention on several screens each), so an empty walk cannot pass.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from opslab.metrics import catalogue
from opslab.metrics import kpi_table as metrics
from opslab.report import push
from opslab.core.i18n import t
from opslab.dataset.load import load_sample
from opslab.core.periods import period_of
from opslab.report.content import quarterly_report
from opslab.planning.targets import TARGET_KPIS, Target
from tests.app.conftest import SAMPLE, open_app

pytestmark = pytest.mark.slow
KPI_CODE = {"dau_avg": "dau", "dau_peak": "peak_dau"}  # the targets' keys for catalogue entries


class Seen:
    """(metric, period) -> {shown value: [where]}."""

    def __init__(self):
        self.values: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))

    def add(self, key: str, period: str, value: str, where: str) -> None:
        """``where`` is "screen:part:lang"; values are compared within one language (the
        number style differs by language: ¥11.1万 / ¥111.1K)."""
        if value in ("", "–", None):
            return
        self.values[(key, period, where.rsplit(":", 1)[1])][str(value).strip()].append(where)

    def conflicts(self) -> dict:
        return {k: dict(v) for k, v in self.values.items() if len(v) > 1}

    def sources(self, key: str, period: str) -> set[str]:
        return {w.split(":")[0] for lang in ("zh", "en")
                for ws in self.values.get((key, period, lang), {}).values() for w in ws}


def _names(lang: str) -> dict[str, str]:
    names = {catalogue.name(k, lang): k for k in catalogue.KPIS}
    assert len(names) == len(catalogue.KPIS)  # one name per meaning, so a label names one figure
    return names


def _screens(seen: Seen, ds, lang: str, quarter, key_of) -> None:
    """The Overview at quarter grain, then the Targets page in the same session."""
    q = quarter.start.isoformat()
    at = open_app(lang, query={"ov_grain": "quarter", "ov_period_quarter": q, "tg_grain": "quarter",
                               "tg_period": quarter.code},
                  dataset=SAMPLE if ds is None else ds, timeout=300)
    assert not at.exception
    assert at.selectbox(key="ov_period_quarter").value == q
    names = _names(lang)
    for m in at.metric:
        key = names.get(m.label)
        if key is None:
            continue
        seen.add(key, quarter.code, m.value, f"overview:card:{lang}")
        if m.delta:
            seen.add(f"{key}:pop", quarter.code, m.delta, f"overview:delta:{lang}")
    # targets for every KPI of the (closed) quarter: the page shows each one's final value
    at.session_state["tg_targets"] = [Target(k, quarter.code, 1.0) for k in TARGET_KPIS]
    at.session_state["tg_loaded_for"] = key_of(at)
    at.switch_page("views/targets.py").run()
    assert not at.exception
    table = at.table[0].value
    kpi_col, actual_col = t("targets.col.kpi", lang), t("targets.col.actual", lang)
    names = _names(lang)
    for label, actual in zip(table[kpi_col], table[actual_col]):
        seen.add(names[label], quarter.code, actual, f"targets:table:{lang}")


def _report(seen: Seen, ds, lang: str, quarter) -> None:
    rep = quarterly_report(ds, quarter.code, lang=lang)
    html = rep.to_html()
    kpi_table = re.search(r'<table data-key="kpi_table">(.*?)</table>', html, re.S).group(1)
    names = _names(lang)
    rows = re.findall(r"<tr>(.*?)</tr>", kpi_table.split("<tbody>")[1], re.S)
    assert rows
    for row in rows:
        cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        name, actual, _yoy, pop = cells[:4]
        key = names[name.replace("&amp;", "&")]
        seen.add(key, quarter.code, actual.replace("&amp;", "&"), f"report:kpi_table:{lang}")
        seen.add(f"{key}:pop", quarter.code, pop, f"report:pop:{lang}")
    sep = "：" if lang == "zh" else ": "
    for line in push.digest_text(rep).splitlines()[1:]:
        if sep not in line:
            continue
        name, rest = line.split(sep, 1)
        if name in names:
            actual = re.split(r"，| / |, (?=[+\-−–])|, target", rest)[0]
            seen.add(names[name], quarter.code, actual, f"digest:{lang}")


def _walk(ds, key_of) -> Seen:
    seen = Seen()
    data = ds if ds is not None else load_sample()
    frame = metrics.kpis(data, "quarter")
    quarter = period_of(frame.index[frame["complete"]][-1], "quarter")
    for lang in ("zh", "en"):
        _screens(seen, ds, lang, quarter, key_of)
        _report(seen, data, lang, quarter)
    return seen, quarter


def _sample_key(at):
    source = at.session_state["dataset_source"]
    return source.get("id") or source.get("key")


@pytest.mark.parametrize("which", ["sample", "cdnow"])
def test_every_metric_and_period_shows_one_value(which):
    if which == "sample":
        seen, quarter = _walk(None, _sample_key)
    else:
        from bench.realdata_churn import cdnow_dataset
        seen, quarter = _walk(cdnow_dataset(), lambda at: None)
    assert seen.conflicts() == {}
    # the walk compared what it should: each of these on at least three screens / documents
    for key in ("gmv", "paying_users", "dau", "peak_dau"):
        assert seen.sources(key, quarter.code) >= {"overview", "targets", "report"}, (key, seen.sources(key, quarter.code))
    assert seen.sources("gmv", quarter.code) >= {"digest"}
    assert seen.sources("gmv:pop", quarter.code) == {"overview", "report"}
    assert seen.sources("m1_payer", quarter.code) >= {"overview", "targets", "report"}
