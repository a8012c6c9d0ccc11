"""`analyzer dashboard`: serve the Streamlit dashboard (dashboards/app.py) on a database.

Called by the CLI. Checks first what would make the start dishonest or unsafe: a port already
taken (an error before any address is printed, or the next free port when none was asked for)
and an address beyond loopback without authentication configured (refused: analyzer/serve/
access.py). Then runs `python -m streamlit run` as a child process (this module never imports
Streamlit: the library stays free of UI imports) and returns its exit code. The dashboard lives
in the source checkout, beside the `analyzer` package.
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

from analyzer import checkout
from analyzer.errors import UnavailableError, UsageError
from analyzer.serve import access

APP = checkout.ROOT / "dashboards" / "app.py"
DEFAULT_PORT = 8501
PORTS_TO_TRY = 20


def command(db_path: str | Path, *, port: int = DEFAULT_PORT, host: str = "127.0.0.1",
            secrets: Path | None = None, public_host: str | None = None) -> list[str]:
    """The `streamlit run` command line for `db_path` (absolute, so the cwd does not matter)."""
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP),
           "--server.headless", "true", "--server.address", host, "--server.port", str(port),
           "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer",
           # the file watcher works on the server's event loop after every run: under load it made
           # the health endpoint slow (the load test); a served dashboard's code does not change
           "--server.fileWatcherType", "none"]
    if secrets is not None:  # exactly the file that was checked is the one Streamlit reads
        cmd += ["--secrets.files", str(secrets)]
    if public_host:  # also spares Streamlit looking up this machine's external address
        cmd += ["--browser.serverAddress", public_host]
    return cmd + ["--", "--db", str(Path(db_path).resolve())]


def url(port: int, host: str) -> str:
    shown = "localhost" if host in ("0.0.0.0", "::") else host
    return f"http://{shown}:{port}/" if ":" not in shown else f"http://[{shown}]:{port}/"


def port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def choose_port(host: str, port: int | None) -> int:
    """The port asked for (an error when it is taken), or the first free one from 8501."""
    if port is not None:
        if not port_free(host, port):
            raise UnavailableError(f"port {port} on {host} is in use (another dashboard or another program); "
                                   "choose another with --port, or leave --port out to take the next free one")
        return port
    for candidate in range(DEFAULT_PORT, DEFAULT_PORT + PORTS_TO_TRY):
        if port_free(host, candidate):
            return candidate
    raise UnavailableError(f"ports {DEFAULT_PORT}-{DEFAULT_PORT + PORTS_TO_TRY - 1} on {host} are all in use; "
                           "choose one with --port")


def default_secrets() -> Path:
    return Path.cwd() / ".streamlit" / "secrets.toml"


def auth_settings(host: str, auth_config: Path | None) -> tuple[Path | None, str | None]:
    """(secrets file, public host) when logins are required; (None, None) on loopback without
    an auth config. Refuses a non-loopback address without authentication configured."""
    if auth_config is None and access.is_loopback(host):
        return None, None
    secrets = auth_config or default_secrets()
    try:
        problems = access.auth_problems(access.load_secrets([secrets]))
    except ValueError as exc:
        problems = [str(exc)]
    if not secrets.exists():
        problems = [f"{secrets} does not exist"]
    if problems:
        raise UsageError(f"--host {host} would expose the dashboard (identifiers, the outreach list) beyond this "
                         f"machine without authentication: {'; '.join(problems)}. Configure Streamlit's login in "
                         "a secrets file (README, \"Serving the dashboard to others\") and pass it with --auth-config, "
                         "or keep the default --host 127.0.0.1")
    redirect = access.load_secrets([secrets])["auth"]["redirect_uri"]
    return secrets, urlparse(str(redirect)).hostname


def launch(db_path: str | Path, *, port: int | None = None, host: str = "127.0.0.1",
           auth_config: Path | None = None) -> int:
    """Serve the dashboard until interrupted; print its URL first. Returns Streamlit's exit code."""
    checkout.require("dashboards/app.py", "the dashboard")
    secrets, public_host = auth_settings(host, auth_config)
    port = choose_port(host, port)
    env = {**os.environ}
    env.pop(access.REQUIRE_AUTH_ENV, None)
    if secrets is not None:
        env[access.REQUIRE_AUTH_ENV] = "1"
    login = " (login required)" if secrets is not None else ""
    print(f"dashboard on {url(port, host)}{login} (database {Path(db_path).resolve()}); Ctrl-C to stop", flush=True)
    proc = subprocess.Popen(command(db_path, port=port, host=host, secrets=secrets, public_host=public_host), env=env)
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
