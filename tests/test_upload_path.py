"""The upload path's costs that do not grow with reruns (issue 28's load test): uploads reach
Streamlit's handler in large chunks, a rerun's copy of an upload shares its bytes, and cached
functions key a file on its SHA-256, never on its bytes."""

from __future__ import annotations

import asyncio
import copy
import hashlib
from concurrent.futures import ThreadPoolExecutor

from streamlit.runtime.uploaded_file_manager import UploadedFile, UploadedFileRec

from ui import upload_copies
from ui.data_source import CACHE, Upload
from ui.upload_chunks import CoalescedUploadMiddleware


def _run(chunk, path, messages):
    """Drive the middleware with ``messages`` as the client's body; what the app received."""
    got = []

    async def app(scope, receive, send):
        while True:
            m = await receive()
            got.append(m)
            if m["type"] != "http.request" or not m.get("more_body", False):
                return

    queue = list(messages)

    async def receive():
        return queue.pop(0)

    async def send(_):
        pass

    # In its own thread: a browser test earlier in the same worker leaves Playwright's loop running.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, CoalescedUploadMiddleware(app, chunk=chunk)({"type": "http", "path": path},
                                                                                receive, send)).result()
    return got


def test_an_upload_body_arrives_in_few_large_chunks_with_every_byte_in_order():
    parts = [bytes([i % 251]) * 65536 for i in range(100)]  # 6.25 MiB in socket-sized pieces
    msgs = [{"type": "http.request", "body": p, "more_body": True} for p in parts]
    msgs[-1]["more_body"] = False
    got = _run(2**20, "/_stcore/upload_file/s/f", msgs)
    assert b"".join(m["body"] for m in got) == b"".join(parts)
    assert len(got) == 7  # 16 pieces per MiB: six full chunks and the rest
    assert [m["more_body"] for m in got] == [True] * 6 + [False]


def test_a_disconnect_mid_upload_passes_the_bytes_so_far_then_the_disconnect():
    msgs = [{"type": "http.request", "body": b"a" * 10, "more_body": True}, {"type": "http.disconnect"}]
    got = _run(2**20, "/_stcore/upload_file/s/f", msgs)
    assert got == [{"type": "http.request", "body": b"a" * 10, "more_body": True}, {"type": "http.disconnect"}]


def test_other_requests_pass_through_untouched():
    msgs = [{"type": "http.request", "body": b"x", "more_body": True},
            {"type": "http.request", "body": b"y", "more_body": False}]
    assert _run(2**20, "/signin", [dict(m) for m in msgs]) == msgs


def test_a_copy_of_an_upload_shares_its_bytes_and_keeps_its_own_position():
    upload_copies.install()
    data = b"order_id,amount\n" + b"1,2\n" * 1000
    f = UploadedFile(UploadedFileRec("id-1", "orders.csv", "text/csv", data), None)
    f.read(5)
    c = copy.deepcopy([f])[0]
    assert c is not f and c == f and c.getvalue() is data and c.tell() == 5
    c.seek(0)
    c.write(b"X")  # writing to the copy leaves the original as uploaded
    assert f.getvalue() == data and c.getvalue()[:1] == b"X"


def test_cached_functions_key_an_upload_on_its_digest_and_reading_choices_not_its_bytes():
    data = b"a,b\n1,2\n"
    digest = hashlib.sha256(data).hexdigest()
    key = CACHE["hash_funcs"][Upload]
    one, same = Upload("x.csv", digest, data), Upload("x.csv", digest, bytes(data))
    assert key(one) == key(same) == ("x.csv", digest, False, None, None)
    assert key(Upload("x.csv", digest, data, no_header=True)) != key(one)
    assert data not in repr(one).encode()
