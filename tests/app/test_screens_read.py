"""Every screen, in both languages, reads at a glance: no chart drops or cuts a category label,
no raw None/True/False/nan, no untranslated catalog key, every table cell and metric in the one
number style (issue: screens an operator reads)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from opslab.core.i18n import catalog
from tests.app.conftest import open_app
from tests.number_style import style_breaks

ROOT = Path(__file__).resolve().parents[2]
SCREENS = re.findall(r'st\.Page\("(views/\w+\.py)"', (ROOT / "app.py").read_text(encoding="utf-8"))
NAMESPACES = sorted({k.split(".")[0] for k in catalog("en")})
RAW_KEY = re.compile(r"\b(?:%s)\.[a-z0-9_]+(?:\.[a-z0-9_]+)*\b" % "|".join(NAMESPACES))
RAW_VALUE = re.compile(r"(?<![\w.])(None|True|False|nan|NaN|NaT)(?![\w.])")


def _walk_specs(spec: dict, config: dict):
    """Yield (channel, encoding, effective axis settings) for every x/y encoding in a spec."""
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for sub in spec.get(key, []):
            yield from _walk_specs(sub, config)
    if "spec" in spec:
        yield from _walk_specs(spec["spec"], config)
    for channel in ("x", "y"):
        enc = spec.get("encoding", {}).get(channel)
        if not enc or enc.get("axis", {}) is None:
            continue
        axis = dict(config.get("axisDiscrete", {}))
        axis.update(enc.get("axis") or {})
        yield channel, enc, axis


def _texts(at) -> list[str]:
    out = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "info", "warning", "error",
                 "success"):
        out += [str(e.value) for e in at.get(kind)]
    for m in at.metric:
        out += [str(m.label), str(m.value)]
    for e in at.expander:
        out.append(str(e.label))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("screen", SCREENS)
def test_screen_reads_at_a_glance(screen, lang):
    """...and every table cell and metric on it follows the one number style (one walk of each
    screen checks both, so the browserless screen walk runs once per screen and language)."""
    at = open_app(lang, page=screen, timeout=240)
    assert not at.exception, [e.message for e in at.exception]
    assert style_breaks(at) == [], screen
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        for channel, enc, axis in _walk_specs(spec, spec.get("config", {})):
            if enc.get("type") in ("nominal", "ordinal"):
                assert axis.get("labelOverlap") is False, (screen, channel, enc.get("field"))
                assert axis.get("labelLimit") == 0, (screen, channel, enc.get("field"))
    for text in _texts(at):
        assert not RAW_KEY.search(text), (screen, text)
        assert not RAW_VALUE.search(text), (screen, text)
