"""Subscriptions on schedule: due times per cadence, a digest delivered to a stand-in robot
(an HTTP server on 127.0.0.1) with a link back to the same data set and view, the quarter-end
report by e-mail to a stand-in SMTP server (a socket server written here), retries and the
send log on failure, each period sent once, and secrets that stay out of what the page sees."""

from __future__ import annotations

import datetime as dt
import email
import json
import os
import socketserver
import stat
import threading

import pytest

from opslab.workspace.delivery import deliver, run_pending
from opslab.dataset.load import load_sample
from opslab.models.forecast import ForecastConfig
from opslab.report.format import value_text
from opslab.workspace.subscriptions import Subscription, SubscriptionStore, due_key
from tests.robot_stub import robot_server

FAST = ForecastConfig(grain="day", horizon=91, backtest_folds=0, models=("ets",), n_paths=300)
MONDAY = dt.datetime(2026, 11, 30, 9, 30)  # a Monday, and the last day of a month


@pytest.fixture(scope="module")
def sample():
    return load_sample()


@pytest.fixture
def robot():
    with robot_server({"errcode": 93000, "errmsg": "invalid webhook"}) as served:
        yield served


@pytest.fixture
def smtp():
    """A minimal SMTP server (RFC 5321 commands HELO/EHLO, MAIL, RCPT, DATA, QUIT)."""
    inbox = []

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            self.wfile.write(b"220 stand-in ESMTP\r\n")
            mail = {"rcpt": []}
            while True:
                line = self.rfile.readline().decode("utf-8", "replace").strip()
                if not line:
                    return
                verb = line.split(" ")[0].upper()
                if verb in ("EHLO", "HELO"):
                    self.wfile.write(b"250 stand-in\r\n")
                elif verb == "MAIL":
                    mail["from"] = line
                    self.wfile.write(b"250 OK\r\n")
                elif verb == "RCPT":
                    mail["rcpt"].append(line)
                    self.wfile.write(b"250 OK\r\n")
                elif verb == "DATA":
                    self.wfile.write(b"354 go ahead\r\n")
                    data = []
                    while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                        data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                    mail["data"] = b"".join(data)
                    inbox.append(dict(mail))
                    self.wfile.write(b"250 queued\r\n")
                elif verb == "QUIT":
                    self.wfile.write(b"221 bye\r\n")
                    return
                else:
                    self.wfile.write(b"250 OK\r\n")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], inbox
    server.shutdown()
    server.server_close()


def test_due_times():
    daily = Subscription(id="d", name="d", cadence="daily", hour=9)
    assert due_key(daily, dt.datetime(2026, 12, 8, 8, 59)) is None
    assert due_key(daily, dt.datetime(2026, 12, 8, 9, 0)) == "2026-12-08"
    weekly = Subscription(id="w", name="w", cadence="weekly", hour=9)
    assert due_key(weekly, MONDAY) == "2026-W49" and due_key(weekly, MONDAY + dt.timedelta(days=1)) is None
    month = Subscription(id="m", name="m", cadence="month_end", hour=18)
    assert due_key(month, dt.datetime(2026, 2, 28, 18)) == "2026-02" and due_key(month, dt.datetime(2026, 2, 27, 23)) is None
    quarter = Subscription(id="q", name="q", cadence="quarter_end", hour=9)
    assert due_key(quarter, dt.datetime(2026, 12, 31, 9)) == "2026Q4" and due_key(quarter, MONDAY) is None
    assert due_key(Subscription(id="x", name="x", enabled=False), MONDAY) is None
    with pytest.raises(ValueError):
        Subscription(id="x", name="x", cadence="hourly")


@pytest.mark.slow
def test_daily_digest_reaches_the_robot_once_with_a_link_back(sample, robot, tmp_path):
    base, received = robot
    store = SubscriptionStore(tmp_path)
    hook = base + "/cgi-bin/webhook/send?key=SECRET-KEY-123"
    sub = Subscription(id="s1", name="日报", cadence="daily", hour=9, channel="wecom", dataset_id="abc123",
                       kpis=("gmv", "paying_users"), lang="zh")
    store.save(sub, {"url": hook})
    done = run_pending(store, lambda i, o: sample, "https://opslab.example", now=MONDAY, sleep=lambda s: None)
    assert done == [("s1", "2026-11-30", True)]
    assert len(received) == 1
    text = received[0][1]["text"]["content"]
    o = sample.orders[(sample.orders["status"] == "paid") &
                      (sample.orders["order_time"].dt.normalize() == str(sample.end))]
    assert value_text("gmv", o["amount"].sum(), "zh") in text and f"：{o['user_id'].nunique()}（" in text
    assert "https://opslab.example/overview?ds=abc123" in text  # opens the same data set and view
    # the same period is never sent twice, by this pass or another process
    assert run_pending(store, lambda i, o: sample, None, now=MONDAY + dt.timedelta(hours=3)) == []
    assert len(received) == 1
    log = store.send_log()
    assert list(log["status"]) == ["ok"] and log["period"].iloc[0] == "2026-11-30"
    # the secret stays server-side: not in the subscriptions file, masked for the page, private file
    assert "SECRET-KEY-123" not in (tmp_path / "subscriptions" / "subscriptions.json").read_text()
    assert "SECRET-KEY-123" not in json.dumps(store.public(sub))
    assert stat.S_IMODE(os.stat(tmp_path / "subscriptions" / "secrets.json").st_mode) == 0o600


def test_failures_are_retried_and_logged_without_the_secret(robot, tmp_path):
    base, received = robot
    store = SubscriptionStore(tmp_path)
    sub = Subscription(id="s2", name="周报", cadence="weekly", channel="dingtalk")
    store.save(sub, {"url": base + "/fail/robot/send?access_token=TOKEN-XYZ"})
    waits = []
    assert not deliver(store, sub, "hello", "2026-W49", retries=3, backoff=1.5, sleep=waits.append)
    assert len(received) == 3 and waits == [1.5, 3.0]
    log = store.send_log()
    assert list(log["status"]) == ["error"] * 3 and sorted(log["attempt"]) == [1, 2, 3]
    assert log["detail"].str.contains("93000").all() and not log["detail"].str.contains("TOKEN-XYZ").any()
    assert not store.sent("s2", "2026-W49")  # the next pass tries again


@pytest.mark.slow
def test_quarter_end_report_by_email(sample, smtp, tmp_path):
    port, inbox = smtp
    store = SubscriptionStore(tmp_path)
    sub = Subscription(id="s3", name="季报", cadence="quarter_end", hour=9, channel="email", dataset_id="abc123",
                       lang="en")
    store.save(sub, {"to": "lead@example.com", "host": "127.0.0.1", "port": port, "tls": "none",
                     "sender": "opslab@example.com"})
    done = run_pending(store, lambda i, o: sample, "https://opslab.example", now=dt.datetime(2026, 12, 31, 9, 5),
                       report_config=FAST, sleep=lambda s: None)
    assert done == [("s3", "2026Q4", True)] and len(inbox) == 1
    msg = email.message_from_bytes(inbox[0]["data"])
    body = next(p for p in msg.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    html = next(p for p in msg.walk() if p.get_content_type() == "text/html").get_payload(decode=True).decode()
    assert "rp_period=2026Q4" in body and "ds=abc123" in body and "/report?" in body
    assert "Quarterly operations report 2026Q4" in html and "lead@example.com" in inbox[0]["rcpt"][0]


@pytest.mark.slow
def test_a_subscription_set_up_in_the_app_links_back_without_an_env_setting(sample, robot, tmp_path):
    """Set up on the Subscriptions screen, a subscription keeps the address the app was reached
    on; the scheduler (no OPSLAB_APP_URL) links each message back to it and to the data set."""
    base, received = robot
    store = SubscriptionStore(tmp_path)
    sub = Subscription(id="s9", name="周报", cadence="weekly", hour=9, channel="feishu", dataset_id="ds42",
                       kpis=("gmv",), lang="zh", app_url="http://10.0.0.5:8501")
    store.save(sub, {"url": base + "/open-apis/bot/v2/hook/x"})
    assert store.get("s9").app_url == "http://10.0.0.5:8501"  # kept with the subscription
    done = run_pending(store, lambda i, o: sample, None, now=MONDAY, sleep=lambda s: None)
    assert done == [("s9", "2026-W49", True)]
    text = json.dumps(received[-1][1], ensure_ascii=False)
    assert "http://10.0.0.5:8501/overview?ds=ds42" in text
    # the deployment's own address (OPSLAB_APP_URL, passed by the scheduler) wins
    from opslab.workspace.delivery import link
    assert link(sub, "https://opslab.example") == "https://opslab.example/overview?ds=ds42"
