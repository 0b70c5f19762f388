"""Cache keys (full SHA-256 or an unguessable id, never the short fingerprint), URL value checks,
sign-in tokens, the rate limiter and the audit log."""

from __future__ import annotations

import base64
import hashlib
import threading

import pandas as pd
import pytest

from opslab.dataset.dataset import Dataset
from opslab.workspace import tokens
from opslab.workspace.audit import AuditLog
from opslab.core.keys import content_key, is_content_key, is_dataset_id, new_dataset_id
from opslab.workspace.ratelimit import SignInLimiter
from opslab.workspace.urlcheck import clean, clean_choice, clean_date, clean_int, clean_key

A, B = hashlib.sha256(b"file a").hexdigest(), hashlib.sha256(b"file b").hexdigest()
MAP = (("user_id", "uid"), ("event_time", "ts"))


# -- keys -------------------------------------------------------------------------------------
def test_content_key_is_a_full_sha256_of_bytes_table_and_mapping():
    key = content_key([(A, "events", MAP)])
    assert is_content_key(key) and len(key) == 64
    expected = hashlib.sha256(b"opslab-content-v1\n" + f"{A}|events|{sorted(MAP)!r}\n".encode()
                              + b"settings|").hexdigest()
    assert key == expected  # recomputed by hand from its definition
    assert content_key([(A, "events", MAP), (B, "users", ())]) == content_key([(B, "users", ()), (A, "events", MAP)])
    assert content_key([(A, "events", MAP)]) != content_key([(A, "orders", MAP)])
    assert content_key([(A, "events", MAP)]) != content_key([(A, "events", (("user_id", "ts"), ("event_time", "uid")))])
    assert content_key([(A, "events", MAP)]) != content_key([(B, "events", MAP)])


def test_dataset_ids_are_unguessable_and_strictly_formed():
    ids = {new_dataset_id() for _ in range(1000)}
    assert len(ids) == 1000 and all(is_dataset_id(i) for i in ids)
    for bad in ("a" * 31, "a" * 33, "a" * 31 + "/", "a" * 31 + ".", None, 123, "0123456789ab"):
        assert not is_dataset_id(bad)


def test_shared_results_refuse_short_fingerprints_and_separate_different_data():
    from ui.models import frame_key, shared_by_key
    with pytest.raises(ValueError):
        shared_by_key("t", "0123456789ab", "", lambda: 1)  # the old 12-hex key
    ev = pd.DataFrame({"user_id": ["a"], "event_time": pd.to_datetime(["2024-01-01"])})
    one, same = Dataset.from_tables(events=ev), Dataset.from_tables(events=ev.copy())
    other = Dataset.from_tables(events=ev.assign(user_id="b"))
    # Two data sets whose short fingerprints collide (as in the review) still get different keys.
    forged = Dataset.from_tables(events=ev.assign(user_id="b"), fingerprint=one.fingerprint)
    assert forged.fingerprint == one.fingerprint
    assert frame_key(one) == frame_key(same)
    assert frame_key(one) != frame_key(other) == frame_key(forged)
    assert is_content_key(frame_key(one))


# -- URL values -------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["[sign in](https://evil.example)", "![x](https://evil.example/x.png)",
                                   "<img src=x onerror=alert(1)>", "../../etc/passwd", "a" * 32 + "\n",
                                   "x" * 5000, "", None])
def test_crafted_url_values_are_refused(value):
    assert clean("ds", value) is None
    assert clean("anything", value) is None
    assert clean_key(value) is None
    assert clean_choice(value, ["week", "month"]) is None


def test_wellformed_url_values_pass():
    ident = new_dataset_id()
    assert clean("ds", ident) == ident and clean_key(ident) == ident
    assert clean_key("f" * 64) == "f" * 64 and clean_key("F" * 64) is None
    assert clean("lang", "zh") == "zh" and clean("lang", "zh-CN") is None
    assert clean_int("13", 1, 52) == 13 and clean_int("13.0", 1, 52) is None and clean_int("99", 1, 52) is None
    assert clean_date("2024-02-29") == pd.Timestamp("2024-02-29").date()
    assert clean_date("2023-02-29") is None and clean_date("29/02/2024") is None


# -- tokens -----------------------------------------------------------------------------------
def test_tokens_are_bound_to_secret_expiry_and_password():
    secret = b"s" * 32
    tok = tokens.issue(secret, "li", now=100.0, ttl=10, tag="t1")
    assert tokens.verify(secret, tok, now=105.0, tag="t1")["user"] == "li"
    assert tokens.verify(b"x" * 32, tok, now=105.0, tag="t1") is None  # other secret
    assert tokens.verify(secret, tok, now=111.0, tag="t1") is None  # expired
    assert tokens.verify(secret, tok, now=105.0, tag="t2") is None  # password changed
    body, sig = tok.split(".")
    forged = b'{"user":"admin","iat":100,"exp":999999,"tag":"t1","nonce":"0"}'
    forged_body = base64.urlsafe_b64encode(forged).rstrip(b"=").decode("ascii")  # the token's own encoding
    assert tokens.verify(secret, f"{forged_body}.{sig}", now=105.0, tag="t1") is None
    for junk in ("", "a.b.c", "...", None, "x" * 5000):
        assert tokens.verify(secret, junk, now=105.0, tag="t1") is None


def test_cookie_secret_is_made_once_and_private(tmp_path):
    first = tokens.load_or_create_secret(tmp_path)
    assert len(first) == 32 and tokens.load_or_create_secret(tmp_path) == first
    assert (tmp_path / "cookie_secret").stat().st_mode & 0o077 == 0


# -- rate limiter -----------------------------------------------------------------------------
def test_backoff_per_pair_doubles_after_free_attempts():
    now = [0.0]
    lim = SignInLimiter(free=3, client_free=1000, account_free=1000, base=1.0, cap=60.0, clock=lambda: now[0])
    delays = [lim.failure("1.1.1.1", "li") for _ in range(10)]
    assert delays == [0, 0, 0, 1, 2, 4, 8, 16, 32, 60]
    assert lim.wait("1.1.1.1", "li") == 60.0
    assert lim.wait("2.2.2.2", "li") == 0.0 and lim.wait("1.1.1.1", "wang") == 0.0  # keyed on the pair
    now[0] = 61.0
    assert lim.wait("1.1.1.1", "li") == 0.0
    lim.success("1.1.1.1", "li")
    assert lim.failure("1.1.1.1", "li") == 0  # a correct password resets the pair


def test_many_addresses_slow_strangers_on_an_account_but_never_lock_out_its_owner():
    # issue 28, finding 5: the server-wide backoff let anyone lock everyone out; now guesses
    # from many addresses slow only attempts on that account without a known-device cookie
    now = [0.0]
    lim = SignInLimiter(free=3, client_free=30, account_free=20, base=1.0, clock=lambda: now[0])
    for i in range(20):  # 20 different addresses, one guess each: nobody is throttled ...
        assert lim.failure(f"10.0.0.{i}", "li") == 0
    assert lim.failure("10.0.1.1", "li") == 1.0  # ... the 21st on the account slows strangers on it
    assert lim.failure("10.0.1.2", "li") == 2.0  # and each further one doubles it
    assert lim.wait("10.9.9.9", "li") == 2.0
    assert lim.wait("10.9.9.9", "li", known_device=True) == 0.0  # the owner's browser passes
    assert lim.wait("10.9.9.9", "wang") == 0.0  # other accounts are not slowed at all
    now[0] = 2000.0  # the window passed
    assert lim.wait("10.9.9.9", "li") == 0.0 and lim.failure("10.9.9.9", "li") == 0


def test_limiter_counts_every_failure_under_concurrency():
    # 1,600 free failures: if every one of them counted, the 1,601st is the first to wait
    lim = SignInLimiter(free=1600, client_free=10**6, account_free=10**6, base=0.5, cap=1e9, clock=lambda: 0.0)
    threads = [threading.Thread(target=lambda: [lim.failure("c", "li") for _ in range(200)]) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert lim.wait("c", "li") == 0.0  # not one failure too many ...
    assert lim.failure("c", "li") == 0.5  # ... and none lost


def test_limiter_memory_is_bounded():
    # every pair is throttled after one failure, so a remembered pair is one that waits
    lim = SignInLimiter(free=0, client_free=0, account_free=0, base=1.0, max_entries=100, clock=lambda: 0.0)
    for i in range(1000):
        assert lim.failure(f"c{i}", f"u{i}") == 1.0
    remembered = sum(lim.wait(f"c{i}", f"u{i}") > 0 for i in range(1000))
    assert 0 < remembered <= 100
    assert lim.wait("c999", "u999") == 1.0 and lim.wait("c0", "u0") == 0.0  # the oldest are forgotten first
    assert all(len(table) <= 100 for table in lim._kinds.values())


# -- audit ------------------------------------------------------------------------------------
def test_audit_log_appends_json_lines_and_survives_a_torn_line(tmp_path):
    log = AuditLog(tmp_path / "audit.log", clock=lambda: 5.0)
    log.record("upload", user="li", dataset="x", rows=3)
    with open(tmp_path / "audit.log", "a") as fh:
        fh.write('{"time": 6, "ev')  # a crash mid-line
    log.record("delete", user="li", dataset="x")
    events = log.read()
    assert [e["event"] for e in events] == ["upload", "delete"]
    assert events[0] == {"time": 5.0, "event": "upload", "user": "li", "dataset": "x", "rows": 3}
    with pytest.raises(ValueError):
        log.record("made_up")
