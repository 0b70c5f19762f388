"""Both catalogs hold the same keys, every key is used sensibly, placeholders agree."""

import json
import re
from pathlib import Path

import pytest

from opslab.core import i18n

LOCALES = Path(__file__).resolve().parents[3] / "opslab" / "present" / "locales"
PLACEHOLDER = re.compile(r"\{(\w+)")


def test_same_keys_in_both_languages():
    zh, en = i18n.catalog("zh"), i18n.catalog("en")
    assert set(zh) == set(en), f"only zh: {set(zh) - set(en)}; only en: {set(en) - set(zh)}"


def test_every_namespace_file_has_its_twin():
    names = {p.name.rsplit(".", 2)[0] for p in LOCALES.glob("*.json")}
    for ns in names:
        zh = json.loads((LOCALES / f"{ns}.zh.json").read_text(encoding="utf-8"))
        en = json.loads((LOCALES / f"{ns}.en.json").read_text(encoding="utf-8"))
        assert set(zh) == set(en), ns


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_no_empty_strings(lang):
    assert all(v.strip() for v in i18n.catalog(lang).values())


def test_placeholders_agree():
    zh, en = i18n.catalog("zh"), i18n.catalog("en")
    for key in en:
        assert set(PLACEHOLDER.findall(en[key])) == set(PLACEHOLDER.findall(zh[key])), key


def test_chinese_catalog_is_chinese():
    zh = i18n.catalog("zh")
    has_han = sum(bool(re.search(r"[\u4e00-\u9fff]", v)) for v in zh.values())
    assert has_han / len(zh) > 0.8


def test_translate_and_fallbacks():
    assert i18n.t("app.nav.overview", "zh") == "数据概览"
    assert i18n.t("app.nav.overview", "en") == "Overview"
    assert i18n.t("no.such.key", "en") == "no.such.key"
    assert "3" in i18n.t("app.data_summary", "en", users=3, events=4, orders=5)


@pytest.mark.parametrize("header,lang", [("zh-CN", "zh"), ("zh-TW,zh;q=0.9", "zh"), ("en-US,en;q=0.9", "en"),
                                         ("de-DE", "en"), (None, "zh"), ("", "zh")])
def test_language_from_locale(header, lang):
    assert i18n.language_from_locale(header) == lang
