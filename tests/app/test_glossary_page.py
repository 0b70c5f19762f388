"""The glossary screen shows every metric's definition and formula in the reader's language."""

from __future__ import annotations

import pytest

from opslab.present import glossary
from opslab.core import i18n
from opslab.metrics import kpi_table as metrics
from opslab.metrics import catalogue
from opslab.present import glossary
from opslab.core import i18n
from opslab.metrics import kpi_table as metrics
from tests.app.conftest import open_app


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_entry_has_words_in_both_languages(lang):
    for e in glossary.ENTRIES:
        for part in ("name", "def", "formula"):
            key = f"catalogue.{e.key}.{part}"
            assert i18n.catalog(lang).get(key), key
        for r in e.related:
            assert glossary.entry(r)  # related entries exist


def test_every_overview_kpi_is_defined():
    missing = [k for k in metrics.KPIS if k not in {e.key for e in glossary.ENTRIES}]
    assert missing == []


def test_the_two_conversions_are_named_apart():
    for lang in ("zh", "en"):
        a = i18n.t("catalogue.paid_conversion.name", lang)
        b = i18n.t("catalogue.paid_rate.name", lang)
        assert a != b
        assert "paid_rate" in glossary.entry("paid_conversion").related


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_glossary_page_lists_every_metric_key(lang):
    """One entry per metric key of opslab/present/glossary.py, each with its own formula, grouped as
    glossary.by_group() says."""
    at = open_app(lang, page="views/glossary.py")
    assert not at.exception
    assert [e.label for e in at.expander] == [catalogue.name(e.key, lang)
                                              for entries in glossary.by_group().values() for e in entries]
    # each formula, then (for a figure) the named SQL block that defines it
    assert sorted(c.value.split("\n-- ")[0] for c in at.code) == sorted(catalogue.formula(e.key, lang)
                                                                      for e in glossary.ENTRIES)
    sql = {c.value.split("\n-- ")[1] for c in at.code if "\n-- " in c.value}
    assert any("opslab/metrics/metrics.sql · period_totals · gmv" in x for x in sql)
    assert [h.value for h in at.subheader] == [i18n.t(f"glossary.group.{g}", lang) for g in glossary.by_group()]


def test_glossary_page_filters():
    at = open_app("zh", page="views/glossary.py")
    assert not at.exception
    at.text_input(key="gl_search").set_value("arppu").run()
    assert [e.label for e in at.expander] == [catalogue.name("arppu", "zh")]
    codes = [c.value.split("\n-- ")[0] for c in at.code]
    assert codes == [catalogue.formula("arppu", "zh")]
