"""How time and memory grow with the size: one line per size and a plot, from the results.

`python -m benchmarks.harness.growth RESULT.json ...` takes benchmark results (benchmarks/results/
*.json), keeps for each size the last run given, and writes `benchmarks/growth.md` (a table: a
line per size) and `benchmarks/growth.svg` (seconds and peak RSS against payments, log-log; the
SVG needs Kaleido, hence Chromium, as the report's figures do). Renders only: every figure comes
from the JSON as `run.py` wrote it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from benchmarks.harness.render import payments_label, seconds, size_bytes

HERE = Path(__file__).resolve().parents[1]
# the cases drawn and tabled, in order, with their labels
CASES = (("reference", "reference load"), ("ingest", "ingest (in place)"), ("scan", "raw scan"),
         ("analyze", "analyze"), ("report", "report"), ("polars", "polars pipeline"))
RSS_CASES = (("ingest", "ingest"), ("analyze", "analyze"))


def sizes(paths: list[Path]) -> list[dict]:
    """Every size of the given results, the last file given winning, sorted by payments."""
    by: dict[int, dict] = {}
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        for size in data["sizes"]:
            cases = {c["key"]: c for c in size["cases"] if c["status"] == "ok"}
            by[size["payments"]] = {"payments": size["payments"], "rows": size["rows"], "cases": cases,
                                    "source": path.name, "memory_limit": data.get("memory_limit"),
                                    "load": data["machine"]["load_average"][0],
                                    "input": next((c["label"] for c in size["cases"] if c["key"] == "ingest"), "")}
    return [by[k] for k in sorted(by)]


def markdown(rows: list[dict]) -> str:
    head = ["payments", "rows"] + [label for _, label in CASES] + [f"{label} peak RSS" for _, label in RSS_CASES]
    lines = ["| " + " | ".join(head) + " | run |", "|" + "---:|" * (len(head)) + "---|"]
    for r in rows:
        cells = [payments_label(r["payments"]), f"{r['rows']:,}"]
        cells += [seconds(r["cases"][k]["median_s"]) if k in r["cases"] else "—" for k, _ in CASES]
        cells += [size_bytes(r["cases"][k]["peak_rss_bytes"]) if k in r["cases"] else "—" for k, _ in RSS_CASES]
        limit = f", --memory-limit {r['memory_limit']}" if r["memory_limit"] else ""
        lines.append("| " + " | ".join(cells) + f" | `{r['source']}`{limit} |")
    return "\n".join(lines) + "\n"


def figure(rows: list[dict]):
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, subplot_titles=("seconds (median)", "peak RSS (GiB)"))
    xs = [r["payments"] for r in rows]
    for key, label in CASES:
        points = [(r["payments"], r["cases"][key]["median_s"]) for r in rows if key in r["cases"]]
        fig.add_trace(go.Scatter(x=[p[0] for p in points], y=[p[1] for p in points], name=label,
                                 mode="lines+markers"), row=1, col=1)
    for key, label in RSS_CASES:
        points = [(r["payments"], r["cases"][key]["peak_rss_bytes"] / 1024 ** 3) for r in rows
                  if key in r["cases"] and r["cases"][key]["peak_rss_bytes"]]
        fig.add_trace(go.Scatter(x=[p[0] for p in points], y=[p[1] for p in points], name=f"{label} RSS",
                                 mode="lines+markers", line={"dash": "dot"}), row=1, col=2)
    fig.update_xaxes(type="log", title_text="payments", tickvals=xs, ticktext=[payments_label(x) for x in xs])
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_layout(title="analyzer bench: growth with the number of payments (2 cores, 24 GiB)",
                      width=1100, height=450, template="plotly_white")
    return fig


def main(argv: list[str]) -> None:
    rows = sizes([Path(a) for a in argv])
    (HERE / "growth.md").write_text(markdown(rows), encoding="utf-8")
    figure(rows).write_image(str(HERE / "growth.svg"))
    print(markdown(rows))


if __name__ == "__main__":
    main(sys.argv[1:])
