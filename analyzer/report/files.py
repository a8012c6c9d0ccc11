"""File helpers shared by the renderers: atomic writes and content hashes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from analyzer.ingest.loader import sha256_of


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Write to a temporary name beside `path`, then rename: a failure leaves no half file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: Path, text: str) -> Path:
    """UTF-8, LF line ends, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(text.encode("utf-8"))
    return Path(path)


# One definition of a file's hash: the manifest of a report and the load manifest agree.
sha256_file = sha256_of
