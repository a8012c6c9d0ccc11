"""The database file and its generations: writers never lock out readers.

DuckDB locks a database file per process: while one process has it open read-write, no other
can open it at all, and while a dashboard holds it read-only, no writer can open it. So a
writer (`ingest`, `analyze`) never opens the file itself. It takes the writer lock
(`FILE.lock`, an advisory flock, so a killed writer releases it), copies FILE to `FILE.next`
(a reflink where the file system has them), works there, checkpoints, and renames `FILE.next`
over FILE: one atomic switch to the next generation. Readers (`summary`, `check`, `report`, the
dashboard) open FILE read-only whenever they like and keep reading the generation they opened
(the old inode stays valid after the rename). A failed or killed writer leaves FILE exactly as
it was, never larger; its `FILE.next` is removed then or by the next writer.

Every generation records what made it in the table `db_history`, so a reader can tell what
changed since it opened its generation ("re-analyzed at 15:02").
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from analyzer.db import Database, first_line
from analyzer.errors import InputError, UnavailableError

FICLONE = 0x40049409  # linux/fs.h: share the blocks of a file (btrfs, xfs); else a plain copy


@dataclass(frozen=True)
class Generation:
    """One version of the database file: its inode and modification time identify it."""

    path: str
    inode: int
    mtime_ns: int

    @property
    def key(self) -> str:
        return f"{self.inode}-{self.mtime_ns}"


def generation(path: str | Path) -> Generation | None:
    """The generation at `path` now (None when there is no file)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return Generation(str(Path(path).resolve()), st.st_ino, st.st_mtime_ns)


def open_generation(path: str | Path, gen: Generation) -> Database:
    """`gen` read-only, under a private name: DuckDB keeps one instance per file name in a
    process, so a dashboard that still holds the previous generation would otherwise be handed
    that one again. The private name is a hard link, removed as soon as the file is open."""
    link = Path(gen.path).with_name(f".{Path(gen.path).name}.gen-{gen.key}-{os.getpid()}")
    try:
        os.link(gen.path, link)
    except OSError:
        return Database(path, read_only=True)  # a directory we cannot write: open by name
    try:
        if os.stat(link).st_ino != gen.inode:  # replaced between the stat and the link
            raise InputError("the database changed while it was being opened; reload", path=str(path))
        return Database(path, read_only=True, open_path=link)
    finally:
        link.unlink(missing_ok=True)


def _copy(src: Path, dst: Path) -> None:
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        try:
            fcntl.ioctl(fout.fileno(), FICLONE, fin.fileno())
            return
        except OSError:
            pass
    shutil.copyfile(src, dst)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _lock_owner(lock: Path) -> str:
    try:
        info = json.loads(lock.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "another ingest/analyze"
    return f"another {info.get('command', 'writer')} (pid {info.get('pid', '?')}, since {info.get('since', '?')})"


@contextmanager
def writer(path: str | Path, command: str, *, memory_limit: str | None = None) -> Iterator[Database]:
    """The next generation of `path`, read-write; switched in atomically when the block ends
    without an error. Raises UnavailableError when another writer holds the lock or the disk
    is full (the database is then unchanged)."""
    path = Path(path)
    nxt = path.with_name(path.name + ".next")
    with _writer_lock(path, command):
        _discard(nxt)
        db: Database | None = None
        try:
            with _disk_errors(path, nxt):
                if path.exists():
                    _copy(path, nxt)
                    wal = path.with_name(path.name + ".wal")
                    if wal.exists():  # left by a writer that bypassed the store: keep its work
                        _copy(wal, nxt.with_name(nxt.name + ".wal"))
                db = Database(path, open_path=nxt, memory_limit=memory_limit)
                db.run_file("store/history")
            started = datetime.now(UTC)
            with _disk_errors(path, nxt):
                yield db
                db.run_file("store/record", {"command": command, "started_at": started,
                                             "finished_at": datetime.now(UTC), "pid": os.getpid()})
                db.execute("CHECKPOINT").fetchall()
                db.close()
                db = None
                _fsync(nxt)
                os.replace(nxt, path)
                _fsync(path.parent)
        finally:
            if db is not None:
                db.close()
            _discard(nxt)


@contextmanager
def _writer_lock(path: Path, command: str) -> Iterator[None]:
    lock = path.with_name(path.name + ".lock")
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise InputError(f"cannot create the lock file: {exc.strerror}", path=str(lock)) from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UnavailableError(f"{path}: {_lock_owner(lock)} is running on this database; "
                                   "wait for it to finish, then run this again") from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "command": command,
                                 "since": datetime.now(UTC).isoformat(timespec="seconds")}).encode())
        yield
    finally:
        os.close(fd)  # releases the flock


@contextmanager
def _disk_errors(path: Path, nxt: Path) -> Iterator[None]:
    """A full disk becomes one clear line; the database file is untouched."""
    try:
        yield
    except (OSError, duckdb.Error) as exc:
        if _is_disk_full(exc):
            raise UnavailableError(f"{path}: no space left on the device while writing the next generation "
                                   f"({nxt.name}); the database is unchanged") from exc
        raise


def _is_disk_full(exc: BaseException) -> bool:
    """No room to write: the disk is full, or the process may not make files this large."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return True
    text = first_line(exc).lower()
    return any(w in text for w in ("no space left", "disk full", "file too large", "quota exceeded"))


def _discard(nxt: Path) -> None:
    nxt.unlink(missing_ok=True)
    nxt.with_name(nxt.name + ".wal").unlink(missing_ok=True)


def history(db: Database) -> list[dict]:
    """What made each generation, newest first (empty for a database from before the store)."""
    if not db.has_table("db_history"):
        return []
    return db.dicts("SELECT * FROM db_history ORDER BY generation DESC")
