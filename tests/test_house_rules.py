"""Rules of the house that keep the app safe and the engine usable on its own."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_no_top_level_pages_folder():
    # Streamlit runs files in a top-level pages/ folder as a legacy multipage app: a deep link
    # would run the page without app.py, i.e. without the sign-in gate. Screens live in views/.
    assert not (ROOT / "pages").exists()
    assert (ROOT / "views").is_dir()


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_engine_never_imports_streamlit_or_the_ui():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "opslab").rglob("*.py")
                 if _imports(p) & {"streamlit", "ui", "views"}]
    assert offenders == []
