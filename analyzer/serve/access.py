"""Who may see the dashboard and who may reveal identifiers; the audit log of reveals.

Called by the launcher (analyzer/serve/launch.py: may the dashboard listen on this address?)
and by the app (dashboards/app.py: is this user logged in, allowed to reveal?). Never imports
Streamlit: the checks read the same secrets file Streamlit is then told to read.

- On a loopback address the dashboard needs no login: whoever can reach it is on this machine.
  The local operator may reveal identifiers; every reveal is still audited (as `local:<user>`).
- On any other address, authentication must be configured (Streamlit's OIDC login: an `[auth]`
  section in the secrets file, and Authlib installed) or the dashboard refuses to start.
  Revealing identifiers then needs an allowed role: the user's e-mail in `[access]
  reveal_emails`, or one of the values of the `groups_claim` claim (default `groups`) in
  `reveal_groups`.
- Every reveal and every unmasked download is one JSON line in `FILE.audit.jsonl` beside the
  database: `{"at": ISO UTC, "who": ..., "action": "reveal" | "download", "what": ...}`.
"""

from __future__ import annotations

import getpass
import ipaddress
import json
import os
import tomllib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
AUDIT_SUFFIX = ".audit.jsonl"
REQUIRE_AUTH_ENV = "ANALYZER_REQUIRE_AUTH"


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost are loopback; 0.0.0.0, ::, '' and other names are not."""
    host = host.strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_secrets(files: Iterable[Path]) -> dict[str, Any]:
    """The secrets Streamlit would read from these files (a shallow merge, later files win)."""
    merged: dict[str, Any] = {}
    for path in files:
        try:
            merged.update(tomllib.loads(Path(path).read_text(encoding="utf-8")))
        except FileNotFoundError:
            continue
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: not valid TOML: {exc}") from exc
    return merged


def _authlib_ok() -> bool:
    try:
        version = metadata.version("authlib")
    except metadata.PackageNotFoundError:
        return False
    parts = tuple(int(p) for p in version.split(".")[:3] if p.isdigit())
    return parts >= (1, 3, 2)


def auth_problems(secrets: Mapping[str, Any]) -> list[str]:
    """Why Streamlit's login would not work with these secrets ([] when it is configured).
    The same checks as Streamlit's own, without the network (the identity provider is only
    contacted when someone logs in)."""
    problems = [] if _authlib_ok() else ["Authlib >= 1.3.2 is not installed (streamlit[auth])"]
    auth = secrets.get("auth")
    if not isinstance(auth, Mapping):
        return problems + ["no [auth] section"]
    for key in ("redirect_uri", "cookie_secret"):
        if not auth.get(key):
            problems.append(f"[auth] has no {key}")
    if auth.get("redirect_uri") and not str(auth["redirect_uri"]).endswith("/oauth2callback"):
        problems.append("[auth] redirect_uri must end with /oauth2callback")
    if auth.get("cookie_secret") and len(str(auth["cookie_secret"])) < 32:
        problems.append("[auth] cookie_secret is shorter than 32 characters")
    providers = {name: section for name, section in auth.items() if isinstance(section, Mapping)}
    if all(auth.get(k) for k in PROVIDER_KEYS):
        providers["default"] = auth
    if not providers:
        problems.append(f"no identity provider: [auth] (or [auth.NAME]) needs {', '.join(PROVIDER_KEYS)}")
    for name, section in providers.items():
        missing = [k for k in PROVIDER_KEYS if not section.get(k)]
        if missing:
            problems.append(f"provider {name!r} has no {', '.join(missing)}")
    return problems


def provider_name(secrets: Mapping[str, Any]) -> str | None:
    """The provider st.login() should use: None for the one under [auth], else the first [auth.NAME]."""
    auth = secrets.get("auth") or {}
    if all(auth.get(k) for k in PROVIDER_KEYS):
        return None
    return next((name for name, section in auth.items() if isinstance(section, Mapping)), None)


def may_reveal(user: Mapping[str, Any], access: Mapping[str, Any], *, require_auth: bool) -> bool:
    """May this user reveal identifiers? Without authentication (loopback) the local operator
    may; with it, only a logged-in user in an allowed role."""
    if not require_auth:
        return True
    if not user.get("is_logged_in"):
        return False
    email = str(user.get("email") or "").strip().lower()
    if email and email in {str(e).strip().lower() for e in access.get("reveal_emails", [])}:
        return user.get("email_verified", True) is not False
    claim = user.get(str(access.get("groups_claim", "groups")))
    groups = {claim} if isinstance(claim, str) else set(claim or [])
    return bool(groups & {str(g) for g in access.get("reveal_groups", [])})


def who(user: Mapping[str, Any], *, require_auth: bool) -> str:
    """The name an audit line gives the user."""
    if user.get("is_logged_in"):
        return str(user.get("email") or user.get("sub") or "unknown")
    if require_auth:
        return "anonymous"
    try:
        return f"local:{getpass.getuser()}"
    except (OSError, KeyError):
        return "local"


def audit_path(db_path: str | Path) -> Path:
    return Path(db_path).with_name(Path(db_path).name + AUDIT_SUFFIX)


def audit(db_path: str | Path, who_: str, action: str, what: str, **detail: Any) -> None:
    """Append one line to the audit log beside the database (O_APPEND: lines of concurrent
    sessions never interleave)."""
    record = {"at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
              "who": who_, "action": action, "what": what, **detail}
    line = (json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
    fd = os.open(audit_path(db_path), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_audit(db_path: str | Path) -> list[dict[str, Any]]:
    path = audit_path(db_path)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
