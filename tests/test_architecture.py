"""The UI never leaks into the core: importing the library loads no Streamlit and no dashboard."""

from __future__ import annotations

import shutil
import subprocess
import sys

from tests.conftest import ROOT

# every module of the library, the dashboard's queries and the chart builders included
LIBRARY_MODULES = sorted(
    ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    for p in (ROOT / "analyzer").rglob("*.py") if p.name != "__main__.py")


def test_importing_the_library_loads_no_ui():
    """The one import-boundary test: the library never loads Streamlit or the dashboard."""
    assert "analyzer.serve.queries" in LIBRARY_MODULES and "analyzer.charts" in LIBRARY_MODULES
    code = ("import importlib, sys\n"
            f"for m in {LIBRARY_MODULES!r}: importlib.import_module(m)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('streamlit', 'dashboards')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_import_contracts_hold():
    lint = shutil.which("lint-imports") or str(ROOT / ".venv" / "bin" / "lint-imports")
    res = subprocess.run([lint], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "KEPT" in res.stdout
