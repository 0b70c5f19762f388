"""The Subscriptions screen: a lead sets up a robot subscription; the webhook is saved on the
server and never comes back to the page (only a masked hint); the send log is shown."""

from __future__ import annotations

import json

import pytest

from opslab.workspace.subscriptions import SubscriptionStore
from tests.app.conftest import open_app

SECRET = "https://open.feishu.cn/open-apis/bot/v2/hook/SECRET-HOOK-9f3a"


def _page_text(at) -> str:
    parts = []
    for kind in ("text", "markdown", "caption", "code", "info", "success", "error", "title", "subheader"):
        parts += [str(getattr(e, "value", "")) for e in getattr(at, kind)]
    parts += [str(e.value) for e in at.text_input]
    parts += [d.value.to_json() for d in at.dataframe]
    return "\n".join(parts)


@pytest.mark.slow
def test_subscription_saved_with_its_secret_kept_server_side(tmp_path, monkeypatch):
    monkeypatch.setenv("OPSLAB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OPSLAB_SCHEDULER", "off")
    at = open_app("zh", "views/subscriptions.py", timeout=300)
    assert not at.exception
    inputs = {e.label: e for e in at.text_input}
    inputs["名称"].input("运营日报")
    inputs["机器人 Webhook 地址"].input(SECRET)
    next(b for b in at.button if b.label == "保存订阅").click()
    at.run()
    assert not at.exception
    subs = SubscriptionStore(tmp_path).list()
    assert [s.name for s in subs] == ["运营日报"] and subs[0].cadence == "daily"
    assert SubscriptionStore(tmp_path).secret(subs[0].id)["url"] == SECRET
    assert "SECRET-HOOK-9f3a" not in (tmp_path / "subscriptions" / "subscriptions.json").read_text()
    shown = _page_text(at)
    assert "运营日报" in shown and "••••9f3a" in shown
    assert "SECRET-HOOK" not in shown and "open.feishu.cn" not in shown
    kept = {k: at.session_state[k] for k in ("sub_url", "sub_sign", "sub_password") if k in at.session_state}
    assert "SECRET" not in json.dumps(kept, default=str)  # the widgets hold it no longer
