"""incident_report.html: the incident report as one self-contained page for the review meeting.

Called by `write_reports`. Lays out `ReportContent` with the Jinja2 template in
templates/incident_report.html.j2 (autoescaped). The charts are inlined: plotly.js is embedded
once, in the first chart, so the page opens with no network. Chart element ids are fixed, so the
same database gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path

from analyzer import __version__
from analyzer.report.content import ReportContent
from analyzer.report.figures import FigureSet
from analyzer.report.files import write_text

HTML_NAME = "incident_report.html"
CHART_NAMES = ("timeline", "scenes", "merchants", "scam_reports")
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "toImageButtonOptions": {"format": "png"}}


def chart_fragments(figset: FigureSet) -> dict[str, str]:
    """name -> an HTML <div> with the chart; plotly.js inlined in the first one only."""
    if not figset.figures:
        return {}
    import plotly.io as pio

    fragments = {}
    for n, (name, fig) in enumerate(figset.figures.items()):
        fragments[name] = pio.to_html(fig, include_plotlyjs=(n == 0), full_html=False, div_id=f"chart-{name}",
                                      config=PLOTLY_CONFIG, validate=False)
    return fragments


def render_html(content: ReportContent, figset: FigureSet) -> str:
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(loader=jinja2.PackageLoader("analyzer.report", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    charts = {name: Markup(html) for name, html in chart_fragments(figset).items()}
    charts_ns = {name: charts.get(name) for name in CHART_NAMES}
    pm = None
    if content.postmortem is not None:
        from analyzer.report.postmortem import meta_rows, render_html_body

        # the team's Markdown, rendered with raw HTML escaped (render_html_body): safe to mark
        pm = {"title": content.postmortem.title, "meta": meta_rows(content.postmortem),
              "changes": content.postmortem.changed, "body": Markup(render_html_body(content.postmortem.body))}
    return env.get_template("incident_report.html.j2").render(c=content, charts=charts_ns, notes=figset.notes,
                                                              version=__version__, pm=pm)


def write_html(content: ReportContent, figset: FigureSet, out_dir: Path) -> Path:
    return write_text(Path(out_dir) / HTML_NAME, render_html(content, figset))
