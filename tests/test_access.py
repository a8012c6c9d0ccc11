"""Who may see the dashboard and reveal identifiers: the launcher's refusal off loopback without a
login, the port that is taken, the login gate and the role check in the app (AppTest with an
injected user), and the audit log of reveals and unmasked downloads."""

from __future__ import annotations

import shutil
import socket

import pytest

from analyzer.errors import ExitCode
from analyzer.serve import access
from analyzer.serve.launch import choose_port, command
from tests.conftest import ROOT, run_cli

APP = str(ROOT / "dashboards" / "app.py")
GOOD_SECRETS = """
[auth]
redirect_uri = "https://dash.example.com/oauth2callback"
cookie_secret = "0123456789abcdef0123456789abcdef0123456789abcdef"
client_id = "incident-dashboard"
client_secret = "s3cret"
server_metadata_url = "https://sso.example.com/.well-known/openid-configuration"

[access]
reveal_emails = ["analyst@example.com"]
reveal_groups = ["pii-readers"]
"""


@pytest.fixture(scope="module")
def dash_db(sample_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("access") / "incident.duckdb"
    shutil.copyfile(sample_db, path)
    return path


# --- the policy --------------------------------------------------------------------------------
@pytest.mark.parametrize("host,loopback", [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True),
                                           ("localhost", True), ("0.0.0.0", False), ("::", False),
                                           ("10.0.0.5", False), ("dash.example.com", False), ("", False)])
def test_loopback(host, loopback):
    assert access.is_loopback(host) is loopback


def test_auth_problems_name_what_is_missing(tmp_path):
    assert access.auth_problems(access.load_secrets([])) == ["no [auth] section"]
    partial = {"auth": {"redirect_uri": "https://x/cb", "cookie_secret": "short"}}
    problems = access.auth_problems(partial)
    assert "[auth] redirect_uri must end with /oauth2callback" in problems
    assert "[auth] cookie_secret is shorter than 32 characters" in problems
    assert any("no identity provider" in p for p in problems)
    (tmp_path / "secrets.toml").write_text(GOOD_SECRETS, encoding="utf-8")
    assert access.auth_problems(access.load_secrets([tmp_path / "secrets.toml"])) == []


def test_who_may_reveal():
    cfg = {"reveal_emails": ["Analyst@Example.com"], "reveal_groups": ["pii-readers"]}
    assert access.may_reveal({}, cfg, require_auth=False)  # loopback: the local operator
    assert not access.may_reveal({"email": "analyst@example.com"}, cfg, require_auth=True)  # not logged in
    assert access.may_reveal({"is_logged_in": True, "email": "analyst@example.com"}, cfg, require_auth=True)
    assert not access.may_reveal({"is_logged_in": True, "email": "analyst@example.com", "email_verified": False},
                                 cfg, require_auth=True)
    assert access.may_reveal({"is_logged_in": True, "email": "x@example.com", "groups": ["pii-readers"]}, cfg,
                             require_auth=True)
    assert not access.may_reveal({"is_logged_in": True, "email": "x@example.com", "groups": ["ops"]}, cfg,
                                 require_auth=True)


# --- the launcher ------------------------------------------------------------------------------
def test_a_public_address_without_login_is_refused(dash_db, tmp_path):
    res = run_cli("dashboard", "--db", dash_db, "--host", "0.0.0.0", "--port", "8599", cwd=tmp_path)
    assert res.code == ExitCode.USAGE_ERROR, res.stderr
    assert "--host 0.0.0.0 would expose the dashboard" in res.stderr and "without authentication" in res.stderr
    assert "dashboard on" not in res.stdout  # refused before anything is served or printed
    bad = tmp_path / "bad.toml"
    bad.write_text('[auth]\nredirect_uri = "https://x/oauth2callback"\n', encoding="utf-8")
    res = run_cli("dashboard", "--db", dash_db, "--host", "0.0.0.0", "--auth-config", bad, cwd=tmp_path)
    assert res.code == ExitCode.USAGE_ERROR and "[auth] has no cookie_secret" in res.stderr


def test_a_configured_login_is_passed_to_streamlit(tmp_path):
    from analyzer.serve.launch import auth_settings

    secrets = tmp_path / "secrets.toml"
    secrets.write_text(GOOD_SECRETS, encoding="utf-8")
    found, public_host = auth_settings("0.0.0.0", secrets)
    assert (found, public_host) == (secrets, "dash.example.com")
    cmd = command(tmp_path / "x.duckdb", port=8600, host="0.0.0.0", secrets=found, public_host=public_host)
    assert cmd[cmd.index("--secrets.files") + 1] == str(secrets)
    assert cmd[cmd.index("--browser.serverAddress") + 1] == "dash.example.com"
    assert auth_settings("127.0.0.1", None) == (None, None)  # loopback: no login needed


def test_a_port_in_use_is_an_error_before_any_address_is_printed(dash_db):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        res = run_cli("dashboard", "--db", dash_db, "--port", str(port))
        assert res.code == ExitCode.UNAVAILABLE
        assert f"port {port} on 127.0.0.1 is in use" in res.stderr and "dashboard on" not in res.stdout
        assert choose_port("127.0.0.1", None) != port


# --- the app (AppTest with an injected user) -----------------------------------------------------
def _app(monkeypatch, tmp_path, dash_db, *, require_auth: bool, user: dict, secrets: str | None = None):
    from streamlit.testing.v1 import AppTest

    monkeypatch.chdir(tmp_path)  # Streamlit reads secrets from the cwd: keep other files out
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("ANALYZER_DB", str(dash_db))
    if require_auth:
        monkeypatch.setenv(access.REQUIRE_AUTH_ENV, "1")
    else:
        monkeypatch.delenv(access.REQUIRE_AUTH_ENV, raising=False)
    at = AppTest.from_file(APP, default_timeout=60)
    at.user = user
    if secrets is not None:
        import tomllib

        for key, value in tomllib.loads(secrets).items():
            at.secrets[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_logged_out_sees_only_the_login_gate(monkeypatch, tmp_path, dash_db):
    at = _app(monkeypatch, tmp_path, dash_db, require_auth=True, user={"is_logged_in": False})
    assert [b.label for b in at.button] == ["Log in"]
    assert not at.metric and not at.dataframe and not at.toggle  # nothing of the incident
    # Streamlit's default test user has an e-mail but is not logged in: still the gate
    at = _app(monkeypatch, tmp_path, dash_db, require_auth=True, user={"email": "analyst@example.com"})
    assert [b.label for b in at.button] == ["Log in"]


def test_a_logged_in_user_without_the_role_cannot_reveal(monkeypatch, tmp_path, dash_db):
    before = len(access.read_audit(dash_db))
    at = _app(monkeypatch, tmp_path, dash_db, require_auth=True, secrets=GOOD_SECRETS,
              user={"is_logged_in": True, "email": "viewer@example.com", "groups": ["ops"]})
    toggle = at.toggle(key="reveal")
    assert toggle.disabled and at.metric  # sees the incident, masked
    at.session_state["reveal"] = True  # a forged widget state
    at.run()
    assert any("masked" in c.value for c in at.sidebar.caption)
    assert len(access.read_audit(dash_db)) == before  # no reveal happened


def test_an_allowed_reveal_is_audited(monkeypatch, tmp_path, dash_db):
    before = len(access.read_audit(dash_db))
    at = _app(monkeypatch, tmp_path, dash_db, require_auth=True, secrets=GOOD_SECRETS,
              user={"is_logged_in": True, "email": "analyst@example.com"})
    at.toggle(key="reveal").set_value(True).run()
    assert not at.exception
    assert any("revealed" in c.value for c in at.sidebar.caption)
    records = access.read_audit(dash_db)[before:]
    assert [(r["who"], r["action"], r["what"]) for r in records] == [("analyst@example.com", "reveal", "identifiers")]
    at.run()  # staying revealed is not a second reveal
    assert len(access.read_audit(dash_db)) == before + 1
    at.button(key="logout").click().run()
    assert at.user == {"is_logged_in": False} or not at.user.get("is_logged_in")


def test_the_local_operator_may_reveal_and_is_audited_as_local(monkeypatch, tmp_path, dash_db):
    before = len(access.read_audit(dash_db))
    at = _app(monkeypatch, tmp_path, dash_db, require_auth=False, user={})
    at.toggle(key="reveal").set_value(True).run()
    records = access.read_audit(dash_db)[before:]
    assert len(records) == 1 and records[0]["who"].startswith("local") and records[0]["action"] == "reveal"


def test_an_unmasked_download_is_audited(dash_db):
    from analyzer.serve.queries import UserFilters
    from dashboards import data

    ctx = data.Context(path=str(dash_db), generation=_generation(dash_db), tz="UTC", mask=False, summary={},
                       who="analyst@example.com")
    before = len(access.read_audit(dash_db))
    masked = data.download(ctx, "csv", UserFilters(), True, "UTC")
    assert len(access.read_audit(dash_db)) == before  # masked: nothing to audit
    unmasked = data.download(ctx, "csv", UserFilters(), False, "UTC")
    assert masked != unmasked and b"anon-" in masked and b"anon-" not in unmasked
    (record,) = access.read_audit(dash_db)[before:]
    assert (record["who"], record["action"], record["what"]) == ("analyst@example.com", "download",
                                                                 "affected_users.csv")


def _generation(path) -> str:
    from analyzer import store

    return store.generation(path).key
