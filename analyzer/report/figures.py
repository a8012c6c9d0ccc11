"""The report's charts: drawn by `analyzer.charts` (shared with the dashboard), then embedded.

Called by `write_reports`. The HTML report inlines them (plotly.js once, in the first chart,
so the page opens offline); the Markdown report gets PNG files rendered by kaleido with the
system's Chromium (kaleido 1.x drives a real browser; it is never downloaded here). Without a
browser, or when rendering fails, the charts are left out of the Markdown with a note.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzer.report.content import ReportContent

log = logging.getLogger(__name__)

BROWSER_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
PNG_SIZE = {"timeline": (1400, 760), "scenes": (1000, 420), "merchants": (1000, 480), "scam_reports": (1200, 420)}
CAPTIONS = {
    "timeline": "Payments, discount rate and excess over time; config changes, milestones and events as markers; "
                "the config window and the data window shaded",
    "scenes": "Excess by scene",
    "merchants": "Excess by payee (top payees)",
    "scam_reports": "Scam-message reports over time, from affected users and others, next to the incident window",
}


@dataclass(frozen=True)
class FigureSet:
    figures: dict[str, Any] = field(default_factory=dict)  # name -> plotly Figure, in display order
    notes: tuple[str, ...] = ()


def build_figures(content: ReportContent) -> FigureSet:
    try:
        from analyzer import charts
    except ImportError as exc:  # plotly missing, or the chart module not there
        return FigureSet(notes=(f"charts left out: analyzer.charts cannot be imported ({exc})",))
    c = content.charts
    figures = {"timeline": charts.timeline_figure(c.minute, c.second, c.timeline, c.summary, content.tz)}
    if not c.scenes.is_empty():
        figures["scenes"] = charts.breakdown_figure(c.scenes, "scene", "excess_total", CAPTIONS["scenes"])
    if not c.merchants.is_empty():
        figures["merchants"] = charts.breakdown_figure(c.merchants, "payee", "excess_total", CAPTIONS["merchants"])
    if not c.scam_reports.is_empty() and c.scam_reports.get_column("after_bad_change").any():
        figures["scam_reports"] = charts.scam_reports_figure(c.scam_reports, c.summary, content.tz)
    return FigureSet(figures=figures)


def find_browser() -> str | None:
    """The Chromium kaleido should drive: $BROWSER_PATH if set, else a system Chromium/Chrome."""
    env = os.environ.get("BROWSER_PATH")
    if env:
        return env if Path(env).exists() else None
    for candidate in BROWSER_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium") or shutil.which("google-chrome")


def write_pngs(figset: FigureSet, out_dir: Path, stem: str) -> tuple[dict[str, Path], tuple[str, ...]]:
    """Render every figure to `<stem>-<name>.png` in out_dir; ({name: path}, notes)."""
    if not figset.figures:
        return {}, figset.notes
    browser = find_browser()
    if browser is None:
        return {}, ("charts left out of the Markdown report: no Chromium/Chrome found to render PNGs "
                    "(set BROWSER_PATH); the HTML report has them",)
    try:
        import kaleido
    except ImportError:
        return {}, ("charts left out of the Markdown report: kaleido is not installed",)
    paths = {name: Path(out_dir) / f"{stem}-{name}.png" for name in figset.figures}
    jobs = []
    for name, fig in figset.figures.items():
        width, height = PNG_SIZE.get(name, (1000, 500))
        jobs.append({"fig": fig, "path": str(paths[name]),
                     "opts": {"format": "png", "width": width, "height": height, "scale": 1}})
    try:
        # mathjax=False: kaleido would otherwise fetch MathJax from a CDN; plotly.js is the local bundle.
        kaleido.write_fig_from_object_sync(jobs, kopts={"path": browser, "mathjax": False, "timeout": 120})
    except Exception as exc:  # any browser failure: the report still gets written, without pictures
        log.debug("kaleido failed", exc_info=True)
        for path in paths.values():
            path.unlink(missing_ok=True)
        return {}, (f"charts left out of the Markdown report: rendering PNGs with {browser} failed "
                    f"({type(exc).__name__}: {exc}); the HTML report has them",)
    missing = [p for p in paths.values() if not p.exists()]
    if missing:
        return {}, (f"charts left out of the Markdown report: kaleido wrote no {missing[0].name}",)
    return paths, ()
