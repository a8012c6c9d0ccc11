"""`analyzer dashboard`: serve the Streamlit dashboard (dashboards/app.py) on a database.

Called by the CLI. Runs `python -m streamlit run` as a child process (this module never
imports Streamlit: the library stays free of UI imports) and returns its exit code. The
dashboard lives in the source checkout, beside the `analyzer` package.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

from analyzer import checkout

APP = checkout.ROOT / "dashboards" / "app.py"


def command(db_path: str | Path, *, port: int = 8501, host: str = "127.0.0.1") -> list[str]:
    """The `streamlit run` command line for `db_path` (absolute, so the cwd does not matter)."""
    return [sys.executable, "-m", "streamlit", "run", str(APP),
            "--server.headless", "true", "--server.address", host, "--server.port", str(port),
            "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer",
            "--", "--db", str(Path(db_path).resolve())]


def url(port: int, host: str) -> str:
    shown = "localhost" if host in ("0.0.0.0", "::") else host
    return f"http://{shown}:{port}/" if ":" not in shown else f"http://[{shown}]:{port}/"


def launch(db_path: str | Path, *, port: int = 8501, host: str = "127.0.0.1") -> int:
    """Serve the dashboard until interrupted; print its URL first. Returns Streamlit's exit code."""
    checkout.require("dashboards/app.py", "the dashboard")
    print(f"dashboard on {url(port, host)} (database {Path(db_path).resolve()}); Ctrl-C to stop", flush=True)
    proc = subprocess.Popen(command(db_path, port=port, host=host))
    previous = None
    if threading.current_thread() is threading.main_thread():
        # SIGTERM (a service manager, a test) stops the server too instead of orphaning it.
        previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            return proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
