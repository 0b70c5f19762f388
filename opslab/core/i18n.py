"""Translation catalogs (zh / en).

Catalogs live in ``opslab/present/locales/<namespace>.<lang>.json``; every key starts with its
namespace (``overview.title`` lives in ``overview.en.json`` and ``overview.zh.json``), so
each page owns its own files and both languages can be checked key for key.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str]:
    """All keys of one language, merged over every namespace file (read once, immutable use)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    merged: dict[str, str] = {}
    folder = resources.files("opslab") / "present" / "locales"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        name = entry.name
        if not name.endswith(f".{lang}.json"):
            continue
        namespace = name[: -len(f".{lang}.json")]
        data = json.loads(entry.read_text(encoding="utf-8"))
        for key, value in data.items():
            if not key.startswith(namespace + "."):
                raise ValueError(f"{name}: key {key!r} must start with {namespace + '.'!r}")
            merged[key] = value
    return merged


def t(key: str, lang: str = DEFAULT_LANGUAGE, **params) -> str:
    """Translate ``key``; missing keys show as the key itself so they are easy to spot."""
    text = catalog(lang).get(key)
    if text is None:
        text = catalog("en").get(key, key)
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def language_from_locale(accept_language: str | None) -> str:
    """Pick zh or en from a browser locale such as ``zh-CN`` or ``en-US,en;q=0.9``."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    first = accept_language.split(",")[0].strip().lower()
    return "zh" if first.startswith("zh") else "en"
