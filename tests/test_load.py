"""The dashboard under load: 4 concurrent Streamlit sessions over every page of a real
`analyzer dashboard` on the 100k-payment sample (the size of `make demo`), through Streamlit's
own websocket protocol (benchmarks/harness/loadtest.py). Two sessions at once once deadlocked
the server. A liveness check, not a speed goal: every session finishes every page, no page shows
an exception, /_stcore/health keeps answering, and the server still answers afterwards. The
client itself is checked against a throwaway app with a page that raises and one that hangs.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from benchmarks.harness import loadtest
from tests.conftest import ROOT, SAMPLE_SEED, ingest_sample

SESSIONS = 4
PAYMENTS = 100_000
HEALTH_BOUND_S = 10.0  # liveness: an answer at all within this, not a latency goal


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    """The sample at the size of `make demo`, ingested and analyzed (the shared fixture is 20k)."""
    from analyzer.analysis.pipeline import analyze
    from analyzer.db import Database
    from analyzer.sample import generate

    sample = generate(tmp_path_factory.mktemp("sample-100k"), seed=SAMPLE_SEED, payments=PAYMENTS)
    path = tmp_path_factory.mktemp("db-100k") / "incident.duckdb"
    ingest_sample(path, sample.out_dir)
    with Database(path) as db:
        analyze(db)
    return path


def dashboard_pages() -> set[str]:
    """The URL paths of the dashboard's pages, from its files: one view per page, the overview
    at the root (dashboards/app.py)."""
    stems = {p.stem for p in (ROOT / "dashboards" / "views").glob("*.py")}
    assert "overview" in stems and len(stems) >= 8
    return (stems - {"overview"}) | {""}


@pytest.mark.slow
def test_four_sessions_over_every_page(demo_db, tmp_path):
    port = loadtest.free_port()
    with loadtest.server(loadtest.dashboard_command(demo_db, port), port, tmp_path / "server.log") as url:
        result = loadtest.run_load(url, sessions=SESSIONS)
        after = loadtest.poll_health(url + "_stcore/health", HEALTH_BOUND_S)
        again = loadtest.run_load(url, sessions=1, pages=["", "affected_users"])
    log = (tmp_path / "server.log").read_text(errors="replace")

    assert set(result.pages) == dashboard_pages() and result.pages[0] == ""
    assert result.titles[""] == "Overview" and result.titles["affected_users"] == "Affected users"
    assert result.errors() == [] and result.failures == (), log[-3000:]
    assert result.completed() == SESSIONS
    assert len(result.visits) == SESSIONS * len(result.pages)
    for visit in result.visits:
        assert visit.status == "finished" and visit.exceptions == () and visit.warnings == (), visit
        assert visit.seconds is not None and visit.seconds > 0
        # the page was drawn, not stopped early: the sidebar alone is 7 elements, every page
        # draws 18 to 29 in all on this sample
        assert visit.elements >= 15, visit
    assert sorted(v.session for v in result.visits if v.page == "timeline") == list(range(SESSIONS))

    # health answered throughout: polls spread over the whole load, every one "ok" within the bound
    assert len(result.health) >= 10 and result.health_failures() == []
    assert result.health_max() < HEALTH_BOUND_S
    assert result.health[-1].at > 0.8 * (result.seconds - HEALTH_BOUND_S)
    # and after the load: health and a fresh session
    assert after.ok, after
    assert again.completed() == 1 and again.errors() == []
    assert "Traceback" not in log


EXAMPLE_APP = """
    import time

    import streamlit as st


    def fine():
        st.title("Fine")
        st.write("one", "two")


    def boom():
        st.title("Boom")
        raise ValueError("boom from the throwaway page")


    def slow():
        st.title("Slow")
        time.sleep(60)


    st.navigation([st.Page(fine, title="Fine", default=True), st.Page(boom, title="Boom", url_path="boom"),
                   st.Page(slow, title="Slow", url_path="slow")]).run()
"""


@pytest.mark.slow
def test_the_client_sees_an_exception_and_a_page_that_hangs(tmp_path):
    script = tmp_path / "example_app.py"
    script.write_text(textwrap.dedent(EXAMPLE_APP), encoding="utf-8")
    port = loadtest.free_port()
    with loadtest.server(loadtest.streamlit_command(script, port), port, tmp_path / "server.log") as url:
        raised = loadtest.run_load(url, sessions=2, pages=["", "boom"])
        hung = loadtest.run_load(url, sessions=1, page_timeout=3)  # pages from the navigation: / boom slow

    assert raised.pages == ("", "boom") and raised.completed() == 2  # every run finished ...
    boom = [v for v in raised.visits if v.page == "boom"]
    assert len(boom) == 2 and all(v.exceptions == ("ValueError: boom from the throwaway page",) for v in boom)
    assert all(v.exceptions == () and v.elements >= 2 for v in raised.visits if v.page == "")
    assert sorted(raised.errors()) == [  # ... but the errors name the exception, page by page
        "session 0 page /boom: exception ValueError: boom from the throwaway page",
        "session 1 page /boom: exception ValueError: boom from the throwaway page"]

    assert hung.pages == ("", "boom", "slow") and hung.titles["slow"] == "Slow"
    slow = [v for v in hung.visits if v.page == "slow"]
    assert len(slow) == 1 and slow[0].seconds is None and slow[0].status == "timeout after 3 s"
    assert hung.completed() == 0 and "session 0 page /slow: timeout after 3 s" in hung.errors()


def test_only_this_machine():
    for url in ("http://10.0.0.5:8501/", "http://example.com/", "http://0.0.0.0:8501/"):
        with pytest.raises(ValueError, match="only talks to this machine"):
            loadtest.run_load(url, sessions=1)
    for sessions in (0, loadtest.MAX_SESSIONS + 1):
        with pytest.raises(ValueError, match="at least 1 and at most"):
            loadtest.run_load("http://127.0.0.1:1/", sessions=sessions)
