"""The sample incident written in the real formats the readers read (`analyzer sample --format`).

Each module converts the canonical sample (analyzer/sample.py: transactions.csv,
transactions_replay.jsonl, config_changes.jsonl) into one format, with the mapping file that
goes with it, under `<out>/formats/<name>/`. Ingesting what it wrote (with the canonical files of
the other kinds) and analyzing gives the sample's truth to the cent: the tests do this for every
format. A new format is one new module with a `WRITER`, listed in WRITERS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from analyzer.errors import UsageError


@dataclass(frozen=True)
class Written:
    """What a format writer wrote, and how to ingest it."""

    format: str                    # the reader that reads it (--format NAME)
    kind: str                      # transactions | config_changes
    files: tuple[Path, ...]        # in ingest order
    mapping: Path | None = None    # the mapping file to pass with --mapping
    tz: str | None = None          # the zone its naive times are written in (--tz)


@dataclass(frozen=True)
class Writer:
    name: str
    kind: str
    write: Callable[[Path, Path], Written]  # (the canonical sample's directory, out dir) -> Written


WRITERS: dict[str, Writer] = {}


def register(writer: Writer) -> Writer:
    WRITERS[writer.name] = writer
    return writer


def _load_all() -> None:
    """Import every writer module of this package (each registers itself)."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


def check(name: str) -> None:
    _load_all()
    if name not in WRITERS:
        raise UsageError(f"--format {name!r}: the sample cannot be written in that format; choose from "
                         f"{', '.join(sorted(WRITERS)) or '(none yet)'}")


def write(name: str, sample_dir: Path, out_dir: Path) -> Written:
    check(name)
    target = Path(out_dir) / "formats" / name
    target.mkdir(parents=True, exist_ok=True)
    return WRITERS[name].write(Path(sample_dir), target)


def names() -> list[str]:
    _load_all()
    return sorted(WRITERS)
