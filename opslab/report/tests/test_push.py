"""Webhook digests and alerts against a stub HTTP server on 127.0.0.1 (no network): each
platform's body shape and signature, verified on the receiving side as the platform would."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse

import numpy as np
import pytest
from docx import Document

import opslab.report.push as push
from opslab.__main__ import main
from opslab.dataset.load import load_sample, sample_dir
from tests.robot_stub import robot_server


@pytest.fixture
def stub():
    with robot_server({"errcode": 310000, "errmsg": "sign"}) as served:
        yield served


def test_dingtalk_signature_verifies():
    secret, ts = "SEC123", 1_700_000_000_123
    url, body = push.request_for("dingtalk", {"url": "http://h/robot/send?access_token=t", "secret": secret},
                                 "hi", now=ts / 1000)
    q = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
    assert q["timestamp"] == [str(ts)] and body == {"msgtype": "text", "text": {"content": "hi"}}
    expected = base64.b64encode(hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest())
    assert q["sign"] == [expected.decode()]  # parse_qs undoes the URL encoding


def test_feishu_signature_and_wecom_body():
    _, body = push.request_for("feishu", {"url": "http://h", "secret": "s"}, "hi", now=1_700_000_000)
    key = b"1700000000\ns"
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert body["msg_type"] == "text" and body["content"]["text"] == "hi"
    url, body = push.request_for("wecom", {"url": "http://h/send?key=k"}, "hi")
    assert url == "http://h/send?key=k" and body == {"msgtype": "text", "text": {"content": "hi"}}


def test_send_reports_errors(stub):
    base, received = stub
    got = push.send({"wecom": {"url": base + "/ok"}, "dingtalk": {"url": base + "/fail", "secret": "x"}}, "hello")
    assert got["wecom"] == "ok" and "310000" in got["dingtalk"]
    assert received[0] == ("/ok", {"msgtype": "text", "text": {"content": "hello"}})


def test_alert_flags_values_outside_the_interval(monkeypatch):
    ds = load_sample()

    def fake(ds_, kpi, grain, start, end, config=None):
        assert str(start)[:10] == str(ds.end)
        centre = {"dau": 1000.0, "gmv": 0.0, "pay_rate": 0.0}[kpi]  # DAU far above, others: the actual
        if kpi != "dau":
            frame = __import__("opslab.metrics.kpi_series", fromlist=["x"]).regular_kpis(ds, "day").iloc[-1]
            centre = frame["gmv"] if kpi == "gmv" else frame["paying_users"] / frame["dau"]
        return np.linspace(centre * 0.9, centre * 1.1 + 1e-9, 101)[:, None], None
    monkeypatch.setattr(push, "forecast_paths", fake)
    found = push.anomalies(ds)
    assert [a["kpi"] for a in found] == ["dau"] and found[0]["direction"] == "below"
    text = push.alert_text(found, ds.end, "zh")
    assert "超出预测区间" in text and "偏低" in text


@pytest.mark.slow
def test_cli_writes_report_and_posts_digest(stub, tmp_path, monkeypatch):
    base, received = stub
    monkeypatch.setenv("OPSLAB_DATA_DIR", str(tmp_path / "store"))
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[opslab]\napp_url = "http://opslab.local/report"\n'
                       f'[opslab.webhooks.dingtalk]\nurl = "{base}/robot/send?access_token=t"\nsecret = "SECx"\n'
                       f'[opslab.webhooks.feishu]\nurl = "{base}/hook/f"\n', encoding="utf-8")
    targets = tmp_path / "targets.csv"
    targets.write_text("kpi,period,value\ngmv,2026Q3,120000\ncac,2026Q3,250\n", encoding="utf-8")
    out = tmp_path / "report.docx"
    code = main(["report", "--data", str(sample_dir()), "--period", "2026Q3", "--lang", "zh",
                 "--out", str(out), "--targets", str(targets), "--secrets", str(secrets)])
    assert code == 0
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "2026Q3 季度运营报告" in text
    paths = sorted(p for p, _ in received)
    assert paths[0].startswith("/hook/f") and paths[1].startswith("/robot/send?access_token=t&timestamp=")
    ding = next(b for p, b in received if p.startswith("/robot"))["text"]["content"]
    assert "GMV" in ding and "完成度" in ding and "http://opslab.local/report" in ding and "主要问题" in ding
