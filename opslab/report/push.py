"""Push a short digest (and anomaly alerts) to the team's group robots: 飞书/Lark, 钉钉
DingTalk and 企业微信 WeCom.

Webhooks come from ``.streamlit/secrets.toml``::

    [opslab]
    app_url = "https://opslab.example.com"
    [opslab.webhooks.feishu]        # or lark
    url = "https://open.feishu.cn/open-apis/bot/v2/hook/..."
    secret = "..."                  # when the robot has 签名校验
    [opslab.webhooks.dingtalk]
    url = "https://oapi.dingtalk.com/robot/send?access_token=..."
    secret = "SEC..."               # 加签
    [opslab.webhooks.wecom]
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..."

Signing follows each platform's documentation: DingTalk appends ``timestamp`` (ms) and
``sign = urlencode(base64(HMAC-SHA256(key=secret, msg="{timestamp}\\n{secret}")))`` to the
URL; Feishu/Lark put ``timestamp`` (s) and ``sign = base64(HMAC-SHA256(key="{timestamp}\\n
{secret}", msg=""))`` in the body; WeCom's key is in the URL and needs no signature.

Data text (campaign names, event names, anything from a file) is made inert before it goes
into a message (:func:`inert`): no ``@all`` / ``@所有人`` mention, no ``<at user_id="all">`` tag, no
clickable link reaches the group; only the configured ``app_url`` stays a link.

Example
-------
>>> dingtalk_sign("SECabc", 1700000000000)
'jcUpW0QmtKduN03n4JqQ0PBosVjqnM8gU7fIIvsDmCM%3D'
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import time
import tomllib
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

from opslab.core.i18n import t
from opslab.present import formatting as fmt
from opslab.metrics import catalogue
from opslab.core.i18n import t
from opslab.report.format import pct_text, status_text, value_text
from opslab.planning.targets import ALERT_SERIES, forecast_paths
from opslab.metrics import kpi_series as ks
from opslab.report.document import finding_text

PLATFORMS = ("feishu", "lark", "dingtalk", "wecom")
DIGEST_KPIS = ("gmv", "new_users", "paying_users", "dau_avg")


_TAG = re.compile(r"[<>]")
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{1,15})://")
#: A host name: dotted labels ending in an alphabetic label of 2+ letters (every TLD is), so
#: ``evil.example`` and ``163.com`` match but amounts such as ``1.5`` or ``¥1.2M`` do not.
_HOST = re.compile(r"(?<![A-Za-z0-9.-])[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![A-Za-z0-9-])")
_MENTION = re.compile(r"[@＠]")


def inert(text) -> str:
    """Data text that no chat platform turns into markup: tags (``<at user_id="all">``) lose
    their brackets (shown as ‹ ›), mentions lose their ``@`` (``@all`` -> ``(at)all``), and links are
    defanged (``https://evil.com/x`` -> ``https[:]//evil[.]com/x``, ``www.x.cn`` -> ``www[.]x[.]cn``)
    so the text still says what was there but nothing is clickable or pings anyone.

    >>> inert('双11 <at user_id="all">所有人</at> @all 领券 https://evil.example/login')
    '双11 ‹at user_id="all"›所有人‹/at› (at)all 领券 https[:]//evil[.]example/login'
    >>> inert("GMV ¥1.2M, 完成度 95.5%, 活动v2.0, 详见www.x.cn")
    'GMV ¥1.2M, 完成度 95.5%, 活动v2.0, 详见www[.]x[.]cn'
    """
    text = str(text)
    text = _TAG.sub(lambda m: "‹" if m.group(0) == "<" else "›", text)
    text = _MENTION.sub("(at)", text)
    text = _SCHEME.sub(r"\1[:]//", text)
    return _HOST.sub(lambda m: m.group(0).replace(".", "[.]"), text)


def read_webhooks(path=".streamlit/secrets.toml") -> tuple[dict, str | None]:
    """(platform -> {"url", "secret"?}, app_url) from the secrets file; empty when absent."""
    p = Path(path)
    if not p.exists():
        return {}, None
    conf = tomllib.loads(p.read_text(encoding="utf-8")).get("opslab", {})
    hooks = {k: v for k, v in conf.get("webhooks", {}).items() if k in PLATFORMS and v.get("url")}
    return hooks, conf.get("app_url")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    msg = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), msg, hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def request_for(platform: str, hook: dict, text: str, now: float | None = None) -> tuple[str, dict]:
    """(url, JSON body) of a text message for ``platform``, signed when a secret is set."""
    now = time.time() if now is None else now
    url, secret = hook["url"], hook.get("secret")
    if platform in ("feishu", "lark"):
        body = {"msg_type": "text", "content": {"text": text}}
        if secret:
            ts = int(now)
            body |= {"timestamp": str(ts), "sign": feishu_sign(secret, ts)}
        return url, body
    body = {"msgtype": "text", "text": {"content": text}}
    if platform == "dingtalk" and secret:
        ts = int(now * 1000)
        url += ("&" if "?" in url else "?") + f"timestamp={ts}&sign={dingtalk_sign(secret, ts)}"
    return url, body


def post(url: str, body: dict, timeout: float = 10.0) -> dict:
    """POST ``body`` as JSON; the robot's JSON answer (errors raise ``OSError``)."""
    req = urllib.request.Request(url, data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                 headers={"Content-Type": "application/json; charset=utf-8"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - configured URL
        answer = json.loads(resp.read().decode("utf-8") or "{}")
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
    if code not in (0, None):
        raise OSError(f"webhook answered {code}: {answer.get('errmsg') or answer.get('msg')}")
    return answer


def digest_text(rep, url: str | None = None, max_problems: int = 3) -> str:
    """A few lines: the period's KPIs against target with 完成度, the top problems, a link."""
    lang, cur = rep.lang, rep.currency
    lines = [t("report.digest.title", lang, period=rep.period)]
    with_target = [k for k in rep.kpis.index if np.isfinite(rep.kpis.loc[k, "target"])]
    buyers = getattr(rep, "buyers_known", True)
    for k in dict.fromkeys([*with_target, *DIGEST_KPIS]):
        r = rep.kpis.loc[k]
        if not buyers and catalogue.needs_buyers(k):  # said, never "–" or a count of anonymous orders
            lines.append(t("report.digest.kpi_no_target", lang, kpi=catalogue.name(k, lang),
                           actual=t("report.no_buyers", lang), change=""))
        elif np.isfinite(r["target"]):
            lines.append(t("report.digest.kpi", lang, kpi=catalogue.name(k, lang),
                           actual=value_text(k, r["actual"], lang, cur),
                           target=value_text(k, r["target"], lang, cur),
                           completion=pct_text(r["completion"]), status=status_text(r["status"], lang)))
        else:
            part = next((t(f"report.kpis.{p}_part", lang, change=fmt.kpi_change(r[p], k, lang))
                         for p in ("yoy", "pop") if np.isfinite(r[p])), "")
            lines.append(t("report.digest.kpi_no_target", lang, kpi=catalogue.name(k, lang),
                           actual=value_text(k, r["actual"], lang, cur), change=part))
    if rep.findings:
        lines.append(t("report.digest.problems", lang))
        lines += [f"{i}. {inert(finding_text(f, rep, lang))}" for i, f in
                  enumerate(rep.findings[:max_problems], start=1)]
    if url:
        lines.append(t("report.digest.link", lang, url=url))
    return "\n".join(lines)


def anomalies(ds, config=None, interval: float = 0.8) -> list[dict]:
    """Yesterday's (the data's last day) DAU, GMV and pay rate against a forecast fitted on
    the days before it (festival regressors included): those outside the central
    ``interval`` band, as dicts kpi, day, actual, lower, upper, direction. Without a buyer id
    (``ds.buyers_known`` False) only GMV is checked: DAU and the pay rate count people."""
    day = pd.Timestamp(ds.end)
    frame = ks.regular_kpis(ds, "day")
    actual = {"dau": frame["dau"], "gmv": frame["gmv"],
              "pay_rate": (frame["paying_users"] / frame["dau"].where(frame["dau"] > 0)).fillna(0.0)}
    out = []
    a = (1 - interval) / 2
    for kpi in ALERT_SERIES:
        if not getattr(ds, "buyers_known", True) and catalogue.needs_buyers(kpi):
            continue
        paths, _ = forecast_paths(ds, kpi, "day", day, day, config)
        if paths is None:
            continue
        lo, hi = np.quantile(paths[:, 0], [a, 1 - a])
        x = float(actual[kpi].loc[day])
        if x < lo or x > hi:
            out.append({"kpi": kpi, "day": day.date(), "actual": x, "lower": float(lo),
                        "upper": float(hi), "direction": "above" if x > hi else "below"})
    return out


def alert_text(alerts: list[dict], day: dt.date, lang: str = "zh", currency: str = "") -> str:
    lines = [t("report.alert.title", lang, day=day.isoformat())]
    for a in alerts:
        k = a["kpi"]  # a daily series; its catalogue entry names it (pay_rate: 日付费率, payers / DAU)
        lines.append(t("report.alert.line", lang, kpi=catalogue.name(k, lang),
                       actual=value_text(k, a["actual"], lang, currency),
                       low=value_text(k, a["lower"], lang, currency),
                       high=value_text(k, a["upper"], lang, currency),
                       direction=t(f"report.alert.{a['direction']}", lang)))
    if not alerts:
        lines.append(t("report.alert.none", lang))
    return "\n".join(lines)


def send(hooks: dict, text: str) -> dict:
    """Post ``text`` to every configured robot: platform -> "ok" or the error message."""
    result = {}
    for platform, hook in hooks.items():
        url, body = request_for(platform, hook, text)
        try:
            post(url, body)
            result[platform] = "ok"
        except OSError as err:
            result[platform] = str(err)[:200]
    return result
