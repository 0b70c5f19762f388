"""Keys that decide who shares what, and the forms every value read from a URL must have.

A stored data set is named by an unguessable id (192 random bits); a data set that is not
stored (the built-in sample, an upload being checked) by the full SHA-256 of its files' bytes
plus how they were mapped. The short fingerprint shown in the sidebar is a label only: 48 bits
can be matched by brute force, so no cache or shared result is ever keyed on it.

>>> key = content_key([("a" * 64, "orders", (("user_id", "uid"),))])
>>> len(key), is_content_key(key), is_content_key(key[:12])
(64, True, False)
>>> is_dataset_id(new_dataset_id()), is_dataset_id("../etc/passwd")
(True, False)
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Iterable

ID_BYTES = 24  # 192 bits -> 32 URL-safe characters
_ID = re.compile(r"[A-Za-z0-9_-]{32}")
_HEX64 = re.compile(r"[0-9a-f]{64}")


def new_dataset_id() -> str:
    """A fresh, unguessable data set id (``secrets.token_urlsafe``, 32 characters)."""
    return secrets.token_urlsafe(ID_BYTES)


def is_dataset_id(value) -> bool:
    """True only for strings of the exact form :func:`new_dataset_id` produces."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def is_content_key(value) -> bool:
    """True only for a full lower-case SHA-256 hex digest."""
    return isinstance(value, str) and _HEX64.fullmatch(value) is not None


def content_key(files: Iterable[tuple[str, str | None, Iterable]], settings: str = "") -> str:
    """The full SHA-256 of the files' byte digests plus their table and column mapping.

    ``files`` holds ``(sha256 of the bytes, table, mapping pairs)`` per file; the order of the
    files does not matter, the mapping does (same bytes mapped differently are other data).
    """
    h = hashlib.sha256(b"opslab-content-v1\n")
    rows = sorted((str(table or ""), str(digest), repr(sorted((str(k), str(v)) for k, v in mapping)))
                  for digest, table, mapping in files)
    for table, digest, mapping in rows:
        h.update(f"{digest}|{table}|{mapping}\n".encode())
    h.update(f"settings|{settings}".encode())
    return h.hexdigest()
