"""Issue 28, findings 8 and 10: data text never reaches a chat group as markup and never becomes
a live link on screen. Hostile campaign names go through the real digest and the real webhook
request (to a stub robot on 127.0.0.1); ``ui.safe.md`` output is checked with the patterns GFM
itself uses to autolink (mdast-util-gfm-autolink-literal, transcribed below)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import opslab.report.push as push
from opslab.report.findings import Finding
from opslab.report.tests.test_push import stub  # noqa: F401 - the stub robot fixture
from ui.safe import md

HOSTILE = ['双11 <at user_id="all">所有人</at> 速领', "@all 点此领奖 https://evil.example/login?x=1",
           "详情见 www.evil-site.cn 或 admin@evil.example", "[登录](http://evil.example) @所有人"]


def _report(lang="zh"):
    kpis = pd.DataFrame({"target": np.nan, "actual": 1000.0, "yoy": np.nan, "pop": 0.1, "completion": np.nan,
                         "status": ""}, index=list(push.DIGEST_KPIS))
    finding = Finding("below_break_even", "campaigns",
                      {"campaigns": [(name, 0.4) for name in HOSTILE], "spend": 1e5, "revenue": 4e4})
    return SimpleNamespace(lang=lang, currency="CNY", period="2026Q3", kpis=kpis, findings=[finding])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_campaign_names_reach_the_group_inert(stub, lang):  # noqa: F811
    base, received = stub
    app_url = "https://opslab.example.com/report?ds=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    text = push.digest_text(_report(lang), url=app_url, max_problems=3)
    hooks = {"feishu": {"url": f"{base}/hook/f"}, "dingtalk": {"url": f"{base}/robot/send?access_token=t"},
             "wecom": {"url": f"{base}/cgi-bin/webhook/send?key=k"}}
    assert push.send(hooks, text) == {"feishu": "ok", "dingtalk": "ok", "wecom": "ok"}
    for path, body in received:
        sent = body["content"]["text"] if "content" in body else body["text"]["content"]
        assert "<at" not in sent and "</at>" not in sent  # Feishu's @all tag
        assert "@" not in sent.replace(app_url, "")  # no @all / @所有人 / e-mail for DingTalk, WeCom
        assert "evil.example" not in sent and "www.evil-site.cn" not in sent  # no clickable host
        assert not re.search(r"https?://(?!opslab\.example\.com/)", sent)  # only the app's own link
        assert app_url in sent and "at_mobiles" not in str(body) and "mentioned_list" not in str(body)
        assert "速领" in sent and "evil[.]example" in sent  # the names are still readable


# GFM autolink literals, as mdast-util-gfm-autolink-literal finds them in the text after
# escapes are resolved (its findUrl and findEmail regular expressions).
GFM_URL = re.compile(r"(https?://|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.I | re.A)
GFM_EMAIL = re.compile(r"(?<![\w.+-])([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)", re.A)
ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def rendered_text(markdown: str) -> str:
    """The text a markdown renderer sees after resolving backslash escapes."""
    return ESCAPE.sub(r"\1", markdown)


@pytest.mark.parametrize("name", HOSTILE + ["https://evil.example", "www.evil.com", "a@b.co", "HTTP://X.Y"])
def test_no_data_text_becomes_a_live_link_on_screen(name):
    text = rendered_text(md(name))
    assert not GFM_URL.search(text) and not GFM_EMAIL.search(text), text
    # what a person reads is unchanged (the word joiner is invisible)
    assert text.replace("\u2060", "") == name
    # the unprotected text would have been linked: the check above can fail
    assert GFM_URL.search(name) or GFM_EMAIL.search(name) or "<at" in name
