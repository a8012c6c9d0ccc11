"""The dashboard in a real browser: `analyzer dashboard` on 127.0.0.1, Debian's Chromium driven
by Playwright. Checks that the timeline chart drew its markers, that selecting a range and a
filter change what is shown, and that the CSV download is the report's export; saves screenshots.

Runs whenever /usr/bin/chromium exists, and always when CI is set (a missing browser then fails).
UPDATE_SCREENSHOTS=1 also writes docs/screenshots/overview.png and timeline.png (from the
database in SCREENSHOT_DB when set, e.g. the default 100k sample of `make demo`; else the
test's sample).
"""

from __future__ import annotations

import csv
import json
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1440, "height": 1000}


def require_browser():
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {CHROMIUM} is missing (.ci/run installs chromium)")
    pytest.skip(f"{CHROMIUM} is missing (set CI to make this a failure)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def dashboard(db_path: Path, log_path: Path):
    """`analyzer dashboard` on a free port; yields its URL; always stops it (and its streamlit)."""
    port = free_port()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "analyzer", "dashboard", "--db", str(db_path), "--port",
                                 str(port), "--host", "127.0.0.1"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(url + "_stcore/health", timeout=2) as resp:
                    if resp.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the dashboard did not start:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.3)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)  # launch() stops its streamlit child on SIGTERM
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        try:  # anything left in the session this test started (its own process group)
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@contextmanager
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = chromium.new_context(viewport=VIEWPORT, accept_downloads=True)
            yield context.new_page()
        finally:
            chromium.close()


def settle(page, timeout: float = 30_000):
    """Wait until the app has finished running its script and drawing."""
    page.wait_for_selector('[data-testid="stMain"]', timeout=timeout)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=timeout)
    page.wait_for_timeout(500)


def open_timeline(page, url):
    page.goto(url + "timeline")
    page.wait_for_selector(".js-plotly-plot .scatterlayer .points path", timeout=60_000)
    settle(page)


def open_overview(page, url):
    page.goto(url)
    page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
    settle(page)


@pytest.fixture(scope="module")
def browser_db(sample_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("browser") / "incident.duckdb"
    shutil.copyfile(sample_db, path)
    return path


def test_the_dashboard_in_chromium(browser_db, tmp_path):
    require_browser()
    from analyzer.db import Database

    with Database(browser_db, read_only=True) as db:
        timeline_rows = db.scalar("SELECT count(*) FROM timeline")
        exploiters = db.scalar("SELECT count(*) FROM affected_users WHERE exploit_flag")
        users = db.scalar("SELECT count(*) FROM affected_users")
    report = run_cli("report", "--db", browser_db, "--out", tmp_path / "report", "--format", "csv")
    assert report.code == 0, report.stderr
    masked_report = run_cli("report", "--db", browser_db, "--out", tmp_path / "masked", "--format", "csv",
                            "--mask-pii")
    assert masked_report.code == 0, masked_report.stderr

    with dashboard(browser_db, tmp_path / "server.log") as url, browser() as page:
        # Overview: the key figures are there
        open_overview(page, url)
        assert page.get_by_text("Affected users").first.is_visible()
        page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)

        # Timeline: one marker per change, milestone and event, labelled
        open_timeline(page, url)
        drawn = page.evaluate("""() => {
            const gd = document.querySelector('.js-plotly-plot');
            const markers = gd.data.filter(t => t.meta && t.meta.role === 'markers');
            return {data: markers.reduce((n, t) => n + t.x.length, 0),
                    svg: Array.from(gd.querySelectorAll('.scatterlayer .trace')).slice(0, markers.length)
                              .reduce((n, t) => n + t.querySelectorAll('.points path').length, 0),
                    labels: Array.from(gd.querySelectorAll('.textpoint text')).map(t => t.textContent)};
        }""")
        assert drawn["data"] == timeline_rows and drawn["svg"] == timeline_rows
        assert {"bad change", "fix change", "first affected", "last affected"} <= set(drawn["labels"])
        page.screenshot(path=str(tmp_path / "timeline.png"), full_page=True)

        # ... and dragging across the excess panel selects a range that filters the tables
        box = page.locator('.js-plotly-plot .draglayer .nsewdrag[data-subplot="x4y4"]').bounding_box()
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + box["width"] * 0.45, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.50, y, steps=5)
        page.mouse.move(box["x"] + box["width"] * 0.55, y, steps=5)
        page.mouse.up()
        page.wait_for_selector("text=Selected range", timeout=30_000)
        settle(page)
        assert page.get_by_text("What happened, in order (selected range)").is_visible()
        page.screenshot(path=str(tmp_path / "timeline-selected.png"), full_page=True)

        # Affected users: a filter changes the rows; the download is the report's export
        page.goto(url + "affected_users")
        page.wait_for_selector(f"text={users:,} users match", timeout=60_000)
        settle(page)
        page.get_by_role("combobox", name="Exploit flag").click()
        page.get_by_role("option", name="Exploiters only").click()
        page.wait_for_selector(f"text={exploiters:,} users match", timeout=30_000)
        settle(page)
        with page.expect_download(timeout=60_000) as download:
            page.get_by_role("button", name="Download CSV").click()
        filtered = tmp_path / "filtered.csv"
        download.value.save_as(filtered)
        lines = (tmp_path / "masked" / "affected_users.csv").read_text(encoding="utf-8").splitlines(keepends=True)
        rows = csv.DictReader(io.StringIO("".join(lines)))
        expected = lines[0] + "".join(line for line, r in zip(lines[1:], rows) if r["exploit_flag"] == "true")
        assert filtered.read_text(encoding="utf-8") == expected
        page.screenshot(path=str(tmp_path / "affected-users.png"), full_page=True)

        # revealed and unfiltered: byte for byte `analyzer report`'s affected_users.csv
        # the select still has the focus after the download: its menu opens from the keyboard
        page.get_by_role("combobox", name="Exploit flag").click()
        page.keyboard.type("Any")
        page.keyboard.press("Enter")
        page.wait_for_selector(f"text={users:,} users match", timeout=30_000)
        page.get_by_text("Reveal identifiers").click()
        page.wait_for_selector("text=Identifiers: revealed", timeout=30_000)
        settle(page)
        with page.expect_download(timeout=60_000) as download:
            page.get_by_role("button", name="Download CSV").click()
        everything = tmp_path / "everything.csv"
        download.value.save_as(everything)
        assert everything.read_bytes() == (tmp_path / "report" / "affected_users.csv").read_bytes()

        # Guardrails: a marker at each rule's trip; another cap typed in is replayed on the spot
        page.goto(url + "guardrails")
        page.wait_for_selector(".js-plotly-plot .scatterlayer .points path", timeout=60_000)
        settle(page)
        trips = page.evaluate("""() => {
            const gd = document.querySelector('.js-plotly-plot');
            return gd.data.filter(t => t.meta && t.meta.role === 'trip').map(t => t.meta.rule);
        }""")
        assert trips == ["cap-20", "user-budget-50-a-day", "burn-rate-3x", "second-approver", "purchase-scenes-only"]
        assert page.get_by_text("Recommended: second-approver").is_visible()
        cap = page.get_by_label("Per-payment cap")
        cap.fill("abc")
        cap.press("Enter")
        page.wait_for_selector("text=not a number", timeout=30_000)
        settle(page)
        page.screenshot(path=str(tmp_path / "guardrails.png"), full_page=True)

    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        write_readme_screenshots(Path(os.environ.get("SCREENSHOT_DB") or browser_db), tmp_path)


def write_readme_screenshots(db_path: Path, tmp_path: Path) -> None:
    """docs/screenshots/overview.png and timeline.png, as the README shows them."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with dashboard(db_path, tmp_path / "screenshots.log") as url, browser() as page:
        page.set_viewport_size({"width": 1440, "height": 900})
        open_overview(page, url)
        page.screenshot(path=str(SCREENSHOTS / "overview.png"))
        page.set_viewport_size({"width": 1440, "height": 1000})
        open_timeline(page, url)
        page.screenshot(path=str(SCREENSHOTS / "timeline.png"))


def _metric(page, label: str) -> str:
    return page.locator('[data-testid="stMetric"]', has_text=label).first.locator(
        '[data-testid="stMetricValue"]').inner_text().strip()


def test_the_review_loop_with_the_dashboard_open(sample_dir, tmp_path):
    """The dashboard stays open on the projector while one more export is ingested and the incident
    analyzed again: both commands succeed, the page says the database changed, and after the reload
    it shows the new totals, never an error. The headline figures are never cut, at 1280 x 800 or
    1024 x 768."""
    require_browser()
    from analyzer.formatting import compact_money, count

    lines = (sample_dir / "transactions.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    half = len(lines) // 2
    first, more = tmp_path / "first_export.csv", tmp_path / "more.csv"
    first.write_text("".join(lines[:half]), encoding="utf-8")
    more.write_text(lines[0] + "".join(lines[half:]), encoding="utf-8")
    db = tmp_path / "live.duckdb"
    assert run_cli("ingest", "--db", db, "--transactions", first, "--config-changes", sample_dir / "config_changes.jsonl",
                   "--events", sample_dir / "events.csv", "--tz", "Asia/Shanghai").code == 0
    assert run_cli("analyze", "--db", db).code == 0
    before = json.loads(run_cli("summary", "--db", db, "--json").stdout)

    with dashboard(db, tmp_path / "server.log") as url, browser() as page:
        open_overview(page, url)
        assert _metric(page, "Affected payments") == count(before["affected_txns"])
        # the CLI writes while the page is open
        ingest = run_cli("ingest", "--db", db, "--transactions", more, "--tz", "Asia/Shanghai")
        assert ingest.code == 0, ingest.stderr
        analyze = run_cli("analyze", "--db", db)
        assert analyze.code == 0, analyze.stderr
        after = json.loads(run_cli("summary", "--db", db, "--json").stdout)
        assert after["affected_txns"] != before["affected_txns"] and after["stale"] is False
        # the page notices by itself, and keeps the earlier analysis until asked
        page.wait_for_selector("text=The database changed", timeout=30_000)
        assert _metric(page, "Affected payments") == count(before["affected_txns"])
        page.get_by_role("button", name="Load the new analysis").click()
        page.wait_for_function(
            "want => [...document.querySelectorAll('[data-testid=\"stMetric\"]')].some(m => "
            "m.innerText.includes('Affected payments') && m.innerText.includes(want))",
            arg=count(after["affected_txns"]), timeout=30_000)
        settle(page)
        assert _metric(page, "Excess (gross)") == compact_money(after["excess_total"])
        assert page.locator('[data-testid="stException"]').count() == 0
        for width, height in ((1280, 800), (1024, 768)):
            page.set_viewport_size({"width": width, "height": height})
            page.reload()
            open_overview(page, url)
            cut = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stMetricValue"]')]
                .filter(v => [v, ...v.querySelectorAll('*')].some(e => e.scrollWidth > e.clientWidth + 1))
                .map(v => v.innerText)""")
            assert cut == [], f"headline figures cut at {width}x{height}: {cut}"
            page.screenshot(path=str(tmp_path / f"overview-{width}.png"), full_page=True)
