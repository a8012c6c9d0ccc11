"""The source checkout around the installed package: where the dashboard app and the benchmark
harness live. Neither is part of the wheel (they are tools of the repository); the CLI finds
them here when it runs from a checkout, and says so clearly when it does not.
"""

from __future__ import annotations

import sys
from pathlib import Path

import analyzer
from analyzer.errors import InputError

ROOT = Path(analyzer.__file__).resolve().parent.parent


def require(relative: str, what: str) -> Path:
    """ROOT / relative, or an InputError naming what is missing from this installation."""
    path = ROOT / relative
    if not path.exists():
        raise InputError(f"{what} is not in this installation ({relative} is missing; run from a source checkout)",
                         path=str(path))
    return path


def importable() -> None:
    """Put the checkout on sys.path, so `benchmarks.harness` (and `dashboards`) import."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
