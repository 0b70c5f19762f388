"""Every misuse of the notebook API that is about a value (a grain, KPI, event, period, date or
assignment table the data does not have) raises the one error, :class:`OpsLabError`, with a
translated message naming the value and what would do; no library error (pandas' KeyError or
DateParseError) reaches the caller, and no analysis runs on nothing. Wrong *names* of settings
stay TypeErrors, as Python's own keyword errors are."""

from __future__ import annotations

import pandas as pd
import pytest

import opslab
from opslab.core import i18n
from opslab.core.problems import OpsLabError


@pytest.fixture(scope="module")
def ds():
    return opslab.load_sample()


CASES = {
    "kpis, a grain that is none": (lambda ds: opslab.kpis(ds, grain="fortnight"), "api.bad_choice", "fortnight"),
    "retention, a cohort grain": (lambda ds: opslab.retention(ds, grain="decade"), "api.bad_choice", "decade"),
    "forecast, a KPI that is none": (lambda ds: opslab.forecast(ds, kpi="nonsense"), "api.bad_choice", "nonsense"),
    "funnel, events not in the data": (lambda ds: opslab.funnel(ds, ["view", "no_such_step"]), "api.unknown_events",
                                       "no_such_step"),
    "paths, an event not in the data": (lambda ds: opslab.paths(ds, "no_such_event"), "api.unknown_events",
                                        "no_such_event"),
    "interval, an event not in the data": (lambda ds: opslab.interval(ds, ("view", "nope")), "api.unknown_events",
                                           "nope"),
    "A/B, an assignment without its columns": (lambda ds: opslab.ab_test(ds, pd.DataFrame({"uid": [1], "arm": ["A"]})),
                                               "api.assignment_columns", "uid, arm"),
    "A/B readouts too": (lambda ds: opslab.ab_metrics(ds, pd.DataFrame({"uid": [1]})), "api.assignment_columns", "uid"),
    "distribution, a measure": (lambda ds: opslab.distribution(ds, "nonsense"), "api.bad_choice", "nonsense"),
    "LTV, an anchor": (lambda ds: opslab.ltv_curve(ds, anchor="nonsense"), "api.bad_choice", "nonsense"),
    "report, a quarter outside the data": (lambda ds: opslab.quarterly_report(ds, period="1999Q1"),
                                           "report.period_before_data", "1999Q1"),
    "alerts, a KPI": (lambda ds: opslab.anomaly_alerts(ds, "nonsense"), "api.bad_choice", "nonsense"),
    "as_of, text that is no date": (lambda ds: opslab.kpis(ds, as_of="not a date"), "api.bad_as_of", "not a date"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_wrong_value_is_an_opslab_error_naming_it_in_both_languages(ds, case):
    call, code, named = CASES[case]
    with pytest.raises(OpsLabError) as caught:
        call(ds)
    err = caught.value
    assert err.code == code
    assert named in str(err)  # the traceback reads as the screens do, in English
    for lang in ("zh", "en"):
        text = i18n.t(err.code, lang, **err.params)
        assert text != err.code and "{" not in text and named in text


def test_unknown_events_are_named_with_the_datas_own_events(ds):
    with pytest.raises(OpsLabError) as caught:
        opslab.funnel(ds, ["view", "no_such_step"])
    known = caught.value.params["known"].split(", ")
    assert known[:3] == ["view", "visit", "search"]  # most frequent first, as the Funnels screen lists them
    assert "view" not in caught.value.params["events"].split(", ")


def test_a_segment_without_an_event_the_data_has_still_gets_its_funnel(ds):
    """The check is against the whole data: a segment in which nobody shared gets zeros, not an error."""
    ev = getattr(ds, "dataset", ds).events
    sharers = set(ev.loc[ev["event_name"] == "share", "user_id"])
    never_shared = sorted(set(ev.loc[ev["event_name"] == "visit", "user_id"]) - sharers)[:50]
    res = opslab.funnel(ds, ["visit", "share"], segment=never_shared)
    assert res.steps["users"].tolist() == [len(never_shared), 0]
