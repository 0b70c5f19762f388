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


def test_no_import_hidden_inside_a_function_in_the_engine():
    # Imports sit at the top of a module, so a reader sees a module's dependencies at once
    # and a broken import fails at start-up, not on some later click. The one exception is an
    # optional dependency: pyspark (requirements-spark.txt) is imported when a Spark engine is
    # asked for, so a DuckDB-only install never needs it.
    optional = {"pyspark"}
    hidden = []
    for path in (ROOT / "opslab").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Import):
                        roots = {a.name.split(".")[0] for a in inner.names}
                    elif isinstance(inner, ast.ImportFrom):
                        roots = {(inner.module or "").split(".")[0]}
                    else:
                        continue
                    if not roots <= optional:
                        hidden.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    assert hidden == []
