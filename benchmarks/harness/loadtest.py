"""The dashboard under load: N concurrent Streamlit sessions over every page, without a browser.

`python -m benchmarks.harness.loadtest --db DB --sessions 20` starts `analyzer dashboard` on a free
port of 127.0.0.1, or `--url http://127.0.0.1:PORT/` points at one already running. Used by
`tests/test_load.py` and by the bench's "dashboard under load" case (worker.py).

Each session speaks Streamlit's own protocol, as the browser does: a websocket to
`/_stcore/stream` (subprotocol "streamlit"), then one `BackMsg.rerun_script` per page, the next
only after the server's `ForwardMsg.script_finished` for the previous one. The first run opens
the default page and returns the app's `navigation` (every page's hash and URL path); the other
pages are then opened like a click in the sidebar (hash and URL path of the page). A page's time
is from sending the rerun to its script_finished; an exception element (a delta whose element is
an `exception`), a compile error or a page-not-found is recorded against the page. All sessions
start at once (the case that deadlocked). Meanwhile a thread polls `/_stcore/health` and records
each answer's latency. Everything is bounded: per page, per session, per health poll and in total.

Not emulated: the sidebar fragment's reruns every 3 s (`run_every`), widget interaction, and the
Plotly rendering a browser does after the script has finished.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

CHECKOUT = Path(__file__).resolve().parents[2]

PAGE_TIMEOUT_S = 120.0  # one page's script run
TOTAL_TIMEOUT_S = 900.0  # the whole load
HEALTH_INTERVAL_S = 0.25
HEALTH_TIMEOUT_S = 30.0  # a poll slower than this counts as failed
CONNECT_TIMEOUT_S = 30.0
START_TIMEOUT_S = 120.0  # the server's first healthy answer
MAX_MESSAGE_BYTES = 256 * 2 ** 20  # a page's dataframe may be a large protobuf
MAX_SESSIONS = 200  # a load test of one machine, not a flood


@dataclass(frozen=True)
class PageVisit:
    session: int
    page: str  # the URL path ("" for the default page)
    seconds: float | None  # None: the run did not finish (see status)
    status: str  # finished | compile error | timeout | closed: ...
    exceptions: tuple[str, ...] = ()  # "Type: first line of the message", one per exception element
    warnings: tuple[str, ...] = ()  # exception elements shown as warnings (is_warning)
    elements: int = 0  # elements the run drew (a page that stopped early draws few)

    @property
    def ok(self) -> bool:
        return self.status == "finished" and not self.exceptions


@dataclass(frozen=True)
class HealthPoll:
    at: float  # seconds since the load started
    seconds: float  # latency (the timeout when it failed)
    ok: bool
    error: str = ""


@dataclass(frozen=True)
class LoadResult:
    url: str
    sessions: int
    pages: tuple[str, ...]  # every page a session was to visit (URL paths, "" the default), in order
    visits: tuple[PageVisit, ...]
    health: tuple[HealthPoll, ...]
    seconds: float
    failures: tuple[str, ...] = ()  # a session that could not connect or did not finish in time
    titles: dict[str, str] = field(default_factory=dict)  # URL path -> the page's title

    def name(self, page: str) -> str:
        return f"{self.titles.get(page, page or 'default page')} (/{page})"

    def completed(self) -> int:
        """Sessions that finished every page (with or without exception elements)."""
        done = {}
        for v in self.visits:
            if v.status == "finished":
                done.setdefault(v.session, set()).add(v.page)
        return sum(1 for pages in done.values() if set(self.pages) <= pages)

    def errors(self) -> list[str]:
        """Everything that went wrong, one line each: exceptions, runs that did not finish, failures."""
        out = list(self.failures)
        for v in self.visits:
            where = f"session {v.session} page /{v.page}"
            if v.status != "finished":
                out.append(f"{where}: {v.status}")
            out += [f"{where}: exception {e}" for e in v.exceptions]
        return out

    def page_seconds(self, page: str) -> list[float]:
        return [v.seconds for v in self.visits if v.page == page and v.seconds is not None]

    def health_max(self) -> float | None:
        return max((h.seconds for h in self.health), default=None)

    def health_failures(self) -> list[HealthPoll]:
        return [h for h in self.health if not h.ok]

    def summary(self) -> dict[str, Any]:
        from benchmarks.harness.run import percentile

        pages = {}
        for page in self.pages:
            xs = self.page_seconds(page)
            pages[self.name(page)] = {"visits": len(xs), "p50_s": percentile(xs, 50) if xs else None,
                                          "p95_s": percentile(xs, 95) if xs else None,
                                          "max_s": max(xs) if xs else None}
        lat = [h.seconds for h in self.health]
        return {"url": self.url, "sessions": self.sessions, "sessions_completed": self.completed(),
                "seconds": self.seconds, "pages": pages, "errors": self.errors(),
                "health": {"polls": len(lat), "failed": len(self.health_failures()),
                           "p50_s": percentile(lat, 50) if lat else None,
                           "p95_s": percentile(lat, 95) if lat else None, "max_s": self.health_max()}}

    def as_dict(self) -> dict[str, Any]:
        return {**self.summary(), "visits": [asdict(v) for v in self.visits],
                "health_polls": [asdict(h) for h in self.health]}

    def text(self) -> str:
        """The summary as Markdown (printed by the command)."""
        s = self.summary()

        def ms(x: float | None) -> str:
            return "—" if x is None else f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"

        lines = [f"Dashboard under load: {s['sessions']} concurrent sessions on {self.url}, "
                 f"{s['sessions_completed']}/{s['sessions']} completed every page in {s['seconds']:.1f} s", "",
                 "| page | visits | p50 | p95 | max |", "|---|---:|---:|---:|---:|"]
        for name, p in s["pages"].items():
            lines.append(f"| {name} | {p['visits']} | {ms(p['p50_s'])} | {ms(p['p95_s'])} | {ms(p['max_s'])} |")
        h = s["health"]
        lines += ["", f"/_stcore/health: {h['polls']} polls, {h['failed']} failed, p50 {ms(h['p50_s'])}, "
                      f"p95 {ms(h['p95_s'])}, max {ms(h['max_s'])}", ""]
        errors = s["errors"]
        lines.append(f"Errors: {len(errors)}" + "".join(f"\n- {e}" for e in errors[:50]))
        if len(errors) > 50:
            lines.append(f"- ... and {len(errors) - 50} more")
        return "\n".join(lines) + "\n"


# --- one session ---------------------------------------------------------------------------------
def require_loopback(url: str) -> None:
    host = urlparse(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"the load test only talks to this machine (127.0.0.1), not {host!r}")


def _rerun(page: str, page_hash: str = "") -> bytes:
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    # what the browser sends: the URL path of the page, and its hash once the app has named it;
    # an empty query string; no widget states (every widget at its default); no cached messages
    msg.rerun_script.query_string = ""
    msg.rerun_script.page_name = page
    msg.rerun_script.page_script_hash = page_hash
    return msg.SerializeToString()


def _exception_text(exc: Any) -> str:
    first = (exc.message or "").strip().splitlines()
    return f"{exc.type or 'Exception'}: {first[0] if first else ''}"[:300]


class _Run:
    """What one script run sent until its script_finished."""

    def __init__(self) -> None:
        self.exceptions: list[str] = []
        self.warnings: list[str] = []
        self.pages: list[Any] = []  # AppPage protos of the app's navigation
        self.elements = 0
        self.status: str | None = None


async def _until_finished(ws: Any, run: _Run) -> None:
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    done = {ForwardMsg.FINISHED_SUCCESSFULLY: "finished", ForwardMsg.FINISHED_WITH_COMPILE_ERROR: "compile error"}
    while run.status is None:
        data = await ws.recv()
        msg = ForwardMsg()
        msg.ParseFromString(data)
        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            run.elements += 1
            if element.WhichOneof("type") == "exception":
                exc = element.exception
                (run.warnings if exc.is_warning else run.exceptions).append(_exception_text(exc))
        elif kind == "session_event" and msg.session_event.WhichOneof("type") == "script_compilation_exception":
            run.exceptions.append(_exception_text(msg.session_event.script_compilation_exception))
        elif kind == "page_not_found":
            run.exceptions.append(f"PageNotFound: {msg.page_not_found.page_name or '(no name)'}")
        elif kind == "navigation":
            run.pages = list(msg.navigation.app_pages)
        elif kind == "script_finished" and msg.script_finished in done:
            # FINISHED_EARLY_FOR_RERUN: the script asked for a rerun, which follows; fragment runs
            # (the sidebar's run_every) are only requested by a browser, never by this client
            run.status = done[msg.script_finished]


async def run_session(number: int, url: str, pages: Sequence[str] | None, visits: list[PageVisit], *,
                      page_timeout: float = PAGE_TIMEOUT_S) -> tuple[list[str], dict[str, str]]:
    """Visit the default page, then every other page (`pages`, or those the app's navigation
    names), each after the previous run finished. Appends to `visits`; returns the URL paths to
    visit and the pages' titles."""
    from websockets.asyncio.client import connect

    titles: dict[str, str] = {}

    stream = url.replace("http://", "ws://", 1).rstrip("/") + "/_stcore/stream"
    # offers permessage-deflate as a browser does (Streamlit takes it only with
    # server.enableWebsocketCompression); no Origin header, no XSRF token: no login cookie to send
    async with connect(stream, subprotocols=["streamlit"], max_size=MAX_MESSAGE_BYTES,
                       open_timeout=CONNECT_TIMEOUT_S, close_timeout=5) as ws:
        order: list[tuple[str, str]] = [("" if pages is None else pages[0], "")]
        i = 0
        while i < len(order):
            page, page_hash = order[i]
            run = _Run()
            start = time.perf_counter()
            await ws.send(_rerun(page, page_hash))
            try:
                async with asyncio.timeout(page_timeout):
                    await _until_finished(ws, run)
                status, seconds = run.status, time.perf_counter() - start
            except TimeoutError:
                status, seconds = f"timeout after {page_timeout:g} s", None
            except Exception as exc:  # the server closed the stream, a malformed message
                status, seconds = f"closed: {type(exc).__name__}: {exc}"[:300], None
            visits.append(PageVisit(number, page, seconds, status, tuple(run.exceptions), tuple(run.warnings),
                                    run.elements))
            if seconds is None:
                break  # a session whose run did not finish cannot go on honestly
            if i == 0:
                titles = {p.url_pathname: p.page_name for p in run.pages}
                if pages is None:
                    order += [(p.url_pathname, p.page_script_hash) for p in run.pages
                              if not p.is_default and not p.external_url]
                else:
                    order += [(p, "") for p in pages[1:]]
            i += 1
        return [p for p, _ in order], titles


# --- health ----------------------------------------------------------------------------------
class HealthPoller(threading.Thread):
    """GET /_stcore/health every `interval` seconds until stopped; a thread of its own, so a busy
    client event loop does not delay the polls."""

    def __init__(self, url: str, *, interval: float = HEALTH_INTERVAL_S, timeout: float = HEALTH_TIMEOUT_S):
        super().__init__(name="health-poller", daemon=True)
        self.url, self.interval, self.timeout = url.rstrip("/") + "/_stcore/health", interval, timeout
        self.polls: list[HealthPoll] = []
        self._stop_event = threading.Event()
        self._t0 = time.perf_counter()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.polls.append(poll_health(self.url, self.timeout, self._t0))
            self._stop_event.wait(self.interval)

    def stop(self) -> list[HealthPoll]:
        self._stop_event.set()
        self.join(self.timeout + 5)
        return list(self.polls)


def poll_health(url: str, timeout: float = HEALTH_TIMEOUT_S, t0: float | None = None) -> HealthPoll:
    """One GET of the health endpoint (the full URL of /_stcore/health)."""
    start = time.perf_counter()
    at = start - (t0 if t0 is not None else start)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            body = resp.read().strip()
        seconds = time.perf_counter() - start
        return HealthPoll(at, seconds, body == b"ok", "" if body == b"ok" else f"answered {body[:80]!r}")
    except Exception as exc:  # refused, reset, timed out: the server did not answer
        return HealthPoll(at, max(time.perf_counter() - start, 0.0), False, f"{type(exc).__name__}: {exc}"[:300])


# --- the load --------------------------------------------------------------------------------
def run_load(url: str, *, sessions: int, pages: Sequence[str] | None = None, page_timeout: float = PAGE_TIMEOUT_S,
             total_timeout: float = TOTAL_TIMEOUT_S, health_interval: float = HEALTH_INTERVAL_S,
             health_timeout: float = HEALTH_TIMEOUT_S) -> LoadResult:
    """`sessions` sessions at once over every page of the app at `url` (127.0.0.1 only).
    `pages`: the URL paths to visit, the first one first (default: the app's navigation)."""
    require_loopback(url)
    if not 1 <= sessions <= MAX_SESSIONS:
        raise ValueError(f"sessions must be at least 1 and at most {MAX_SESSIONS}, not {sessions}")
    visits: list[PageVisit] = []
    failures: list[str] = []
    order: list[str] = []
    titles: dict[str, str] = {}
    poller = HealthPoller(url, interval=health_interval, timeout=health_timeout)

    async def main() -> None:
        async def one(n: int) -> None:
            try:
                seen, named = await run_session(n, url, pages, visits, page_timeout=page_timeout)
                if len(seen) > len(order):
                    order[:] = seen
                titles.update(named)
            except Exception as exc:  # could not connect, or the stream broke outside a page run
                failures.append(f"session {n}: {type(exc).__name__}: {exc}"[:300])

        tasks = [asyncio.create_task(one(n)) for n in range(sessions)]
        finished, pending = await asyncio.wait(tasks, timeout=total_timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=10)
            failures.append(f"{len(pending)} sessions still running after {total_timeout:g} s: cancelled")

    start = time.perf_counter()
    poller.start()
    try:
        asyncio.run(main())
    finally:
        health = poller.stop()
    seconds = time.perf_counter() - start
    return LoadResult(url=url, sessions=sessions, pages=tuple(order or (pages or ())), visits=tuple(visits),
                      health=tuple(health), seconds=seconds, failures=tuple(failures), titles=titles)


# --- a server to load --------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dashboard_command(db: Path, port: int) -> list[str]:
    """`analyzer dashboard` exactly as a user starts it (the launcher's Streamlit options)."""
    return [sys.executable, "-m", "analyzer", "dashboard", "--db", str(Path(db).resolve()), "--port", str(port),
            "--host", "127.0.0.1"]


def streamlit_command(script: Path, port: int) -> list[str]:
    """Any Streamlit script, with the launcher's options (no file watcher, headless)."""
    return [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
            "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none"]


@contextmanager
def server(cmd: Sequence[str], port: int, log_path: Path, *, start_timeout: float = START_TIMEOUT_S) -> Iterator[str]:
    """Run `cmd` (a server on 127.0.0.1:`port`) in a process group of its own; yield its URL once
    /_stcore/health answers; always stop the whole group."""
    url = f"http://127.0.0.1:{port}/"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(list(cmd), cwd=CHECKOUT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + start_timeout
        while not poll_health(url + "_stcore/health", 2).ok:
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-20:])
                raise RuntimeError(f"the server did not start (exit {proc.poll()}); its log {log_path}:\n{tail}")
            time.sleep(0.3)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)  # `analyzer dashboard` stops its Streamlit child on SIGTERM
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        try:  # anything left in the group this function started
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def load_dashboard(db: Path, *, sessions: int, log_path: Path, **kwargs: Any) -> LoadResult:
    """Start `analyzer dashboard` on `db`, load it, stop it."""
    port = free_port()
    with server(dashboard_command(db, port), port, log_path) as url:
        return run_load(url, sessions=sessions, **kwargs)


def main(argv: Sequence[str] | None = None) -> int:
    """The command; exit codes as analyzer's (README): 0 every session finished every page with no
    error, DATA_ERROR (4) otherwise, USAGE_ERROR (2), INPUT_ERROR (3) no database, UNAVAILABLE (6)
    the server did not start."""
    from analyzer.errors import ExitCode

    parser = argparse.ArgumentParser(prog="python -m benchmarks.harness.loadtest",
                                     description="N concurrent Streamlit sessions over every dashboard page.")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--db", type=Path, help="an analyzed database: starts `analyzer dashboard` on it")
    where.add_argument("--url", help="a dashboard already running on 127.0.0.1, e.g. http://127.0.0.1:8501/")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--page", action="append", dest="pages",
                        help="URL path of a page to visit (repeatable; default: every page of the navigation)")
    parser.add_argument("--page-timeout", type=float, default=PAGE_TIMEOUT_S)
    parser.add_argument("--timeout", type=float, default=TOTAL_TIMEOUT_S)
    parser.add_argument("--json", type=Path, help="also write every visit and health poll as JSON here")
    parser.add_argument("--log", type=Path, default=Path("loadtest-server.log"), help="the server's output (--db)")
    args = parser.parse_args(argv)
    opts = {"sessions": args.sessions, "pages": args.pages, "page_timeout": args.page_timeout,
            "total_timeout": args.timeout}
    try:
        if args.db is not None:
            if not args.db.is_file():
                print(f"error: {args.db}: no such database", file=sys.stderr)
                return ExitCode.INPUT_ERROR
            result = load_dashboard(args.db, log_path=args.log, **opts)
        else:
            result = run_load(args.url, **opts)
    except (ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.USAGE_ERROR if isinstance(exc, ValueError) else ExitCode.UNAVAILABLE
    if args.json:
        args.json.write_text(json.dumps(result.as_dict(), indent=2) + "\n", encoding="utf-8")
    print(result.text(), end="")
    ok = result.completed() == args.sessions and not result.errors() and not result.health_failures()
    return ExitCode.OK if ok else ExitCode.DATA_ERROR


if __name__ == "__main__":
    sys.exit(main())
