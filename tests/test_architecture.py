"""The promises the layout makes: the core never imports streamlit, and dependencies point one way."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_core_never_imports_streamlit_or_the_ui() -> None:
    """Test that no module of the starvideos package imports streamlit, components or pages."""
    offenders = {str(p.relative_to(ROOT)): sorted(_imports(p) & {"streamlit", "components", "pages"})
                 for p in (ROOT / "starvideos").rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_importing_the_whole_core_loads_no_streamlit() -> None:
    """Test, in a fresh interpreter, that importing every core module leaves streamlit unloaded."""
    modules = sorted("starvideos." + ".".join(p.relative_to(ROOT / "starvideos").with_suffix("").parts)
                     for p in (ROOT / "starvideos").rglob("*.py")
                     if "migrations" not in p.parts and p.name != "__main__.py")
    script = ("import importlib, sys\n"
              f"for name in {[m.removesuffix('.__init__') for m in modules]!r}:\n"
              "    importlib.import_module(name)\n"
              "print('streamlit' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "False", result.stderr


def test_components_never_import_pages() -> None:
    """Test that components depend on the core only, never on page scripts."""
    assert all("pages" not in _imports(p) for p in (ROOT / "components").rglob("*.py"))


def test_bench_runs_without_the_test_requirements() -> None:
    """Test that the benchmark package imports neither pytest nor the tests package."""
    for path in (ROOT / "bench").rglob("*.py"):
        assert not _imports(path) & {"pytest", "tests"}, path
