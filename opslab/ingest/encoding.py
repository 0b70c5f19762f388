"""Text encodings of uploaded files: BOMs, UTF-16 without a BOM, UTF-8 with a few broken bytes,
files stitched from UTF-8 and GBK exports, GB18030, and a guess as the last resort.

Decoding never raises: an unusable file gets an ``io.*`` error in the result's report and
:func:`decode` returns ``None``; the encoding found is written to ``res.encoding``.

Examples
--------
>>> from opslab.ingest.read_result import ReadOptions, ReadResult
>>> res = ReadResult(df=None)
>>> decode("用户,金额\\n".encode("gbk"), ReadOptions(), res), res.encoding
('用户,金额\\n', 'gb18030')
"""

from __future__ import annotations

import contextlib

from charset_normalizer import from_bytes

from opslab.ingest.read_result import ReadOptions, ReadResult, fail
from opslab.core.problems import INFO, WARNING, Problem

CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13))
NOT_CONTROL = bytes(b for b in range(256) if b not in CONTROL)


def decode(data: bytes, opt: ReadOptions, res: ReadResult) -> str | None:
    """Decode once; ``None`` (with a Problem) when the bytes are not text."""
    if opt.encoding:
        return _decode_with(data, opt.encoding, res)
    for bom, enc in ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
                     (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return _decode_with(data[len(bom):], enc, res)
    head = data[:65536]
    utf16 = utf16_without_bom(head)
    if utf16:
        return _decode_with(data, utf16, res)
    if len(head.translate(None, NOT_CONTROL)) > 0.01 * len(head):
        return fail(res, "io.binary_file")
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    with contextlib.suppress(UnicodeDecodeError):
        res.encoding = "utf-8-sig" if bom else "utf-8"
        return body.decode("utf-8")
    # Mostly valid UTF-8 with a few broken bytes (e.g. a cut-off last character): decoding it
    # as GB18030 would turn every Chinese character into mojibake, so keep UTF-8.
    text = body.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    if sum(1 for ch in text[:200_000] if ord(ch) > 127) - bad >= 10 * bad:
        res.encoding = "utf-8"
        res.report.add(Problem("io.encoding_replaced", WARNING, count=bad, params={"n": bad}))
        return text
    del text
    mixed = _decode_mixed(body, res)
    if mixed is not None:
        return mixed
    with contextlib.suppress(UnicodeDecodeError):
        text = body.decode("gb18030")
        res.encoding = "gb18030"
        if bom:
            res.report.add(Problem("io.bom_mismatch", INFO, params={"encoding": "GB18030"}))
        return text

    best = from_bytes(body[:200_000]).best()
    enc = best.encoding if best is not None else "utf-8"
    text = _decode_with(body, enc, res)
    if text is not None and best is not None:
        res.report.add(Problem("io.encoding_guessed", WARNING, params={"encoding": enc}))
    return text


def _decode_mixed(body: bytes, res: ReadResult) -> str | None:
    """Files stitched together from a UTF-8 and a GBK export: decode line by line.

    Decided on the first 10 MB: when several non-ASCII lines are valid UTF-8 and others are
    not, each line is decoded as UTF-8 when it can be, else as GB18030 (Chinese text in GBK is
    almost never valid UTF-8, so the test rarely misfires).
    """
    utf8 = other = 0
    for line in body[:10_000_000].split(b"\n"):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8 += 1
        except UnicodeDecodeError:
            other += 1
    if utf8 < 2 or other < 1 or utf8 < 0.05 * (utf8 + other):
        return None
    lines, n_gbk = [], 0
    for line in body.split(b"\n"):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(line.decode("gb18030", errors="replace"))
            n_gbk += 1
    res.encoding = "utf-8+gb18030"
    res.report.add(Problem("io.mixed_encoding", WARNING, count=n_gbk, params={"n": n_gbk}))
    return "\n".join(lines)


def _decode_with(data: bytes, enc: str, res: ReadResult) -> str | None:
    try:
        text = data.decode(enc, errors="replace")
    except LookupError:
        return fail(res, "io.unknown_encoding", encoding=enc)
    res.encoding = enc
    bad = text.count("\ufffd")
    if bad > 0.1 * max(len(text), 1):
        return fail(res, "io.binary_file")
    if bad:
        res.report.add(Problem("io.encoding_replaced", WARNING, count=bad, params={"n": bad}))
    return text


def utf16_without_bom(head: bytes) -> str | None:
    """Latin text in UTF-16 without a BOM has a NUL in every other byte."""
    half = max(len(head) // 2, 1)
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd > 0.3 * half and even < 0.02 * half:
        return "utf-16-le"
    if even > 0.3 * half and odd < 0.02 * half:
        return "utf-16-be"
    return None
