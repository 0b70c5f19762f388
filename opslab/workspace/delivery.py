"""What a subscription sends and how: the message (a daily or weekly digest with anomaly
alerts and their causes, or the month-end / quarter-end report), its link back to the same
data set and view, the send to a robot (:mod:`opslab.report.push`) or by e-mail (SMTP), retries, the
send log, and :func:`run_pending`, one pass of the scheduler.

Robots get text with the link; e-mail gets the same text and, for a report, the report as a
self-contained HTML attachment. Each attempt is written to the send log with its result; a
failed send is tried again (``retries`` attempts, waiting ``backoff`` × 2^n seconds) and the
period stays unsent, so the next pass tries again.
"""

from __future__ import annotations

import datetime as dt
import inspect
import smtplib
import ssl
import time
import urllib.parse
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import numpy as np

from opslab.report.alerts import ALERT_KPIS, AlertConfig, anomaly_alerts
from opslab.dataset.dataset import Dataset
from opslab.dataset.load import load_sample
from opslab.core.i18n import t
from opslab.metrics import catalogue, catalogue_values
from opslab.report.push import digest_text, post, request_for
from opslab.report import quarterly_report
from opslab.report.format import kpi_change_text, kpi_name, value_text
from opslab.workspace.subscriptions import VIEW, Subscription, SubscriptionStore, due_key
from opslab.workspace.store import Store
from opslab.workspace.target_store import data_dir

#: What a subscription's KPI choice (the alerts' KPIs) reads in the catalogue for a period: the
#: figure of a day or a week (DAU averaged over the week's days, the others over the week).
DIGEST_KPIS = {"gmv": "gmv", "paying_users": "paying_users", "new_users": "new_users", "dau": "dau",
               "orders": "orders"}


def link(sub: Subscription, app_url: str | None, period: str | None = None) -> str | None:
    """The address that opens the subscription's data set on the view its message is about:
    on ``app_url`` (``OPSLAB_APP_URL``) or else the address the subscription was set up on."""
    app_url = app_url or sub.app_url
    if not app_url:
        return None
    query = {"ds": sub.dataset_id} if sub.dataset_id else {}
    if VIEW[sub.cadence] == "report" and period:
        query |= {"rp_grain": "quarter" if "Q" in period else "month", "rp_period": period, "rp_lang": sub.lang}
    return f"{app_url.rstrip('/')}/{VIEW[sub.cadence]}" + ("?" + urllib.parse.urlencode(query) if query else "")


def _kpi_line(kpi: str, now: float, before: float, lang: str, cur) -> str:
    shown = DIGEST_KPIS.get(kpi, kpi)
    return t("subscriptions.digest.kpi", lang, kpi=kpi_name(shown, lang), value=value_text(shown, now, lang, cur),
             change=kpi_change_text(shown, now, before, lang))


def _counted(ds, kpi: str) -> bool:
    """Whether ``ds`` can give ``kpi``: a figure counting people needs a buyer id in the data."""
    return getattr(ds, "buyers_known", True) or not catalogue.needs_buyers(DIGEST_KPIS.get(kpi, kpi))


def alert_lines(ds, sub: Subscription, as_of: dt.date) -> list[str]:
    kpis = [k for k in sub.kpis if k in ALERT_KPIS and _counted(ds, k)]
    res = anomaly_alerts(ds, {"kpis": kpis, "segments": sub.segments}, as_of=as_of, config=AlertConfig(days=1))
    lang, cur, out = sub.lang, getattr(ds, "currency", None), []
    for r in res.news().itertuples():
        shown = DIGEST_KPIS.get(r.kpi, r.kpi)
        fmt = lambda x: value_text(shown, x, lang, cur)  # noqa: E731
        cause = (t("subscriptions.alert.cause", lang, dimension=t(f"report.dim.{r.cause_dimension}", lang),
                   segment=r.cause_segment, share=f"{100 * r.cause_share:.0f}%") if r.cause_dimension else "")
        out.append(t("subscriptions.alert.line", lang, kpi=kpi_name(shown, lang),
                     segment=(" " + r.segment) if r.segment else "", actual=fmt(r.actual), expected=fmt(r.expected),
                     direction=t(f"report.alert.{r.direction}", lang)) + cause)
    return out


def digest(ds, sub: Subscription, app_url: str | None = None, as_of=None) -> tuple[str, str]:
    """(text, period key) of a daily or weekly digest for the data's last complete day/week."""
    end = as_of or ds.end
    lang, cur = sub.lang, getattr(ds, "currency", None)
    if sub.cadence == "weekly":
        last = end - dt.timedelta(days=(end.weekday() + 1) % 7)  # the last Sunday on or before
        span = [(last - dt.timedelta(days=6 + 7 * i), last - dt.timedelta(days=7 * i)) for i in (0, 1)]
        title = t("subscriptions.digest.weekly", lang, start=str(span[0][0]), end=str(span[0][1]))
    else:
        span = [(end, end), (end - dt.timedelta(days=1), end - dt.timedelta(days=1))]
        title = t("subscriptions.digest.daily", lang, day=str(end))
    grain = "week" if sub.cadence == "weekly" else "day"

    def total(a, b, key):
        """The catalogue's figure ``key`` over the days a..b (one day or one Monday-Sunday week)."""
        if a < ds.start or b > ds.end:
            return np.nan
        v = catalogue_values.values(ds, key, grain, start=a, end=b, as_of=end)
        return float(v.iloc[0]) if len(v) else np.nan
    lines = [title]
    for k in sub.kpis:
        if k in DIGEST_KPIS and not _counted(ds, k):  # no buyer id: said, never "–" or a count
            lines.append(t("subscriptions.digest.kpi_no_buyers", lang, kpi=kpi_name(DIGEST_KPIS[k], lang),
                           reason=t("report.no_buyers", lang)))
        elif k in DIGEST_KPIS:
            key = DIGEST_KPIS[k]
            lines.append(_kpi_line(k, total(*span[0], key), total(*span[1], key), lang, cur))
    alerts = alert_lines(ds, sub, end)
    lines += [t("subscriptions.alert.title", lang)] + alerts if alerts else [t("subscriptions.alert.none", lang)]
    url = link(sub, app_url)
    if url:
        lines.append(t("report.digest.link", lang, url=url))
    return "\n".join(lines), str(span[0][1])


def report_message(ds, sub: Subscription, app_url=None, as_of=None, targets=None, config=None, source=None):
    """(text, html, period) of the month-end or quarter-end report of the period ending on
    the data's last day (or the last complete one)."""
    from_day = as_of or ds.end
    grain = "quarter" if sub.cadence == "quarter_end" else "month"
    period = (f"{from_day.year}Q{(from_day.month - 1) // 3 + 1}" if grain == "quarter"
              else f"{from_day.year}-{from_day.month:02d}")
    rep = quarterly_report(ds, period, targets=targets, lang=sub.lang, config=config, source=source)
    return digest_text(rep, link(sub, app_url, period)), rep.to_html(), period


def send_email(secret: dict, subject: str, text: str, html: str | None = None, filename: str = "report.html") -> None:
    """One e-mail through the SMTP server in ``secret`` (host, port, user, password, sender,
    to, tls: "starttls" | "ssl" | "none")."""
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = subject, secret.get("sender") or secret.get("user"), secret["to"]
    msg.set_content(text)
    if html:
        msg.add_attachment(html.encode("utf-8"), maintype="text", subtype="html", filename=filename)
    host, port, tls = secret["host"], int(secret.get("port") or 25), secret.get("tls", "none")
    cls = smtplib.SMTP_SSL if tls == "ssl" else smtplib.SMTP
    kwargs = {"context": ssl.create_default_context()} if tls == "ssl" else {}
    with cls(host, port, timeout=20, **kwargs) as smtp:
        if tls == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if secret.get("user") and secret.get("password"):
            smtp.login(secret["user"], secret["password"])
        smtp.send_message(msg)


def deliver(store: SubscriptionStore, sub: Subscription, text: str, period: str, html: str | None = None,
            retries: int = 3, backoff: float = 2.0, sleep=time.sleep) -> bool:
    """Send ``text`` to the subscription's destination, retrying; every attempt logged."""
    secret = store.secret(sub.id)
    for attempt in range(1, retries + 1):
        try:
            if sub.channel == "email":
                send_email(secret, text.splitlines()[0], text, html, f"opslab_{period}_{sub.lang}.html")
            else:
                if not secret.get("url"):
                    raise OSError("no webhook address stored")
                url, body = request_for(sub.channel, secret, text)
                post(url, body)
            store.log(subscription=sub.id, name=sub.name, channel=sub.channel, period=period, attempt=attempt,
                      status="ok", detail="")
            return True
        except (OSError, smtplib.SMTPException, KeyError, ValueError) as err:
            detail = str(err)[:200]
            for hidden in (secret.get("url"), secret.get("password"), secret.get("secret")):
                if hidden:
                    detail = detail.replace(hidden, "••••")  # errors never echo a secret
            store.log(subscription=sub.id, name=sub.name, channel=sub.channel, period=period, attempt=attempt,
                      status="error", detail=detail)
            if attempt < retries:
                sleep(backoff * 2 ** (attempt - 1))
    return False


def local_now(tz: str = "Asia/Shanghai", now: dt.datetime | None = None) -> dt.datetime:
    now = now or dt.datetime.now(dt.timezone.utc)
    return now.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def run_pending(store: SubscriptionStore, load_dataset, app_url: str | None = None, now: dt.datetime | None = None,
                tz: str = "Asia/Shanghai", report_config=None, **send) -> list[tuple[str, str, bool]]:
    """One pass: every subscription due now and not yet sent for its period is composed and
    sent. ``load_dataset(dataset_id, owner)`` gives the Dataset; ``now`` a naive local time or
    an aware one (converted to ``tz``); ``report_config`` the reports' ForecastConfig; ``send``
    goes to :func:`deliver` (retries, backoff, sleep). Returns (id, period, ok)."""
    here = now if now is not None and now.tzinfo is None else local_now(tz, now)
    done = []
    for sub in store.list():
        key = due_key(sub, here)
        if key is None or not store.claim(sub.id, key):
            continue
        try:
            ds = load_dataset(sub.dataset_id, sub.owner)
            if sub.cadence in ("daily", "weekly"):
                text, _ = digest(ds, sub, app_url)
                html = None
            else:
                text, html, _ = report_message(ds, sub, app_url, config=report_config)
            ok = deliver(store, sub, text, key, html, **send)
        except Exception as err:  # noqa: BLE001 - one subscription's failure must not stop the others
            store.log(subscription=sub.id, name=sub.name, channel=sub.channel, period=key, attempt=0,
                      status="error", detail=f"{type(err).__name__}: {str(err)[:160]}")
            ok = False
        finally:
            store.release(sub.id, key)
        done.append((sub.id, key, ok))
    return done


def load_stored(dataset_id: str, owner: str | None = None, root=None):
    """The Dataset a subscription reads: a stored data set by id (as its owner sees it), or
    the built-in sample when the id is empty."""
    if not dataset_id:
        return load_sample()
    store = Store(data_dir(root))
    m = store.get(dataset_id, owner)
    tables = store.load(m.id, owner)
    accepted = inspect.signature(Dataset.from_tables).parameters
    settings = {k: v for k, v in m.settings.items() if k in accepted and k != "fingerprint"}
    return Dataset.from_tables(**{t_: tables.get(t_) for t_ in ("events", "orders", "users", "campaigns")},
                               fingerprint=m.content_key[:12] or m.id[:12], **settings)
