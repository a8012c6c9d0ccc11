"""The benchmark's Markdown: one table of cases and one of ratios against the targets, per size.

Called by `BenchResult.markdown` (printed by `analyzer bench`, written to benchmarks/results/).
Renders only; every number comes from the result objects of `run.py`.
"""

from __future__ import annotations

from benchmarks.harness.run import FULL_MODEL, BenchResult, CaseResult, SizeResult, Target, minimal_ratios


def seconds(s: float | None) -> str:
    if s is None:
        return "—"
    if s < 1:
        return f"{s * 1000:.0f} ms"
    return f"{s:.2f} s" if s < 100 else f"{s:.0f} s"


def size_bytes(n: int | None) -> str:
    if n is None:
        return "—"
    for unit, scale in (("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def rate(r: float | None) -> str:
    if r is None:
        return "—"
    return f"{r / 1e6:.2f} M/s" if r >= 1e6 else f"{r / 1e3:.0f} k/s"


def payments_label(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n:,}"


def _case_row(c: CaseResult) -> str:
    if not c.ok:
        return f"| {c.label} | {c.status} | | | |"
    if c.views:
        return (f"| {c.label} | p50 {seconds(c.median)} · p95 {seconds(c.p95)} | {seconds(c.min)}–{seconds(c.max)} "
                f"| — | {size_bytes(c.peak_rss_bytes)} |")
    label = c.label
    if "startup_s" in c.detail:  # spark: the session's start-up and the export, apart
        label += f" (last run: start-up {c.detail['startup_s']:.1f} s, export {c.detail['export_s']:.1f} s)"
    return (f"| {label} | {seconds(c.median)} | {seconds(c.min)}–{seconds(c.max)} | {rate(c.rows_per_second)} "
            f"| {size_bytes(c.peak_rss_bytes)} |")


def _target_row(t: Target) -> str:
    if t.unit == "bytes":
        value, limit = size_bytes(t.value), f"< {size_bytes(t.limit)}"
    elif t.unit == "s":
        value, limit = seconds(t.value), f"< {seconds(t.limit)}"
    else:
        # three decimals when two would round across the target (1.502 is not within 1.5)
        close = t.value is not None and abs(t.value - t.limit) < 0.01
        value = "—" if t.value is None else f"{t.value:.3f}×" if close else f"{t.value:.2f}×"
        limit = f"≤ {t.limit:g}×" if t.kind == "max" else f"≥ {t.limit:g}×"
    met = {True: "**met**", False: "**missed**", None: "—"}[t.met]
    return f"| {t.name} | {value} | {limit} | {met} | {t.note} |"


def _answers(s: SizeResult) -> list[str]:
    from benchmarks.harness.pipelines import cents_text

    lines = ["| implementation | affected payments | affected users | excess | net excess | per-user digest |",
             "|---|---:|---:|---:|---:|---|"]
    for name, a in s.answers.items():
        name = name if name in FULL_MODEL else f"{name} (not compared)"
        lines.append(f"| {name} | {a['affected_txns']:,} | {a['affected_users']:,} | {cents_text(a['excess_cents'])} "
                     f"| {cents_text(a['net_excess_cents'])} | `{a['users_digest'][:12]}` |")
    verdict = ("equal to the cent, user by user" if s.totals_match
               else "**DIFFERENT: the run fails**")
    return [*lines, "", f"Totals of the three implementations of the full model: {verdict}."]


def size_section(s: SizeResult, fmt: str) -> list[str]:
    lines = [f"### {payments_label(s.payments)} payments — {s.rows:,} rows, "
             f"transactions.{fmt} {size_bytes(s.file_bytes)}, analyzed database {size_bytes(s.db_bytes)}", "",
             "| case | median | min–max | rows/s | peak RSS |", "|---|---:|---:|---:|---:|"]
    lines += [_case_row(c) for c in s.cases]
    lines += ["", "| ratio | value | target | | note |", "|---|---:|---:|---|---|"]
    lines += [_target_row(t) for t in s.targets]
    floor = minimal_ratios(s.cases)
    lines += ["", "Against the minimal polars pipeline (no target): "
              + ", ".join(f"{k} {'—' if v is None else f'{v:.2f}×'}" for k, v in floor.items()) + "."]
    lines += ["", *_answers(s), ""]
    return lines


def markdown(r: BenchResult) -> str:
    m, v = r.machine, r.versions
    sizes = " ".join(f"--payments {s.payments}" for s in r.sizes)
    limit = f" --memory-limit {r.memory_limit}" if r.memory_limit else ""
    lines = [
        f"## Benchmark {r.started_at[:10]}: {r.fmt}, median of {r.repeat} runs per case", "",
        f"- Machine: {m['cores']} cores ({m.get('cpu') or 'unknown CPU'}), {size_bytes(m['memory_bytes'])} RAM, "
        f"{m['os']}; load average at the start {', '.join(f'{x:.2f}' for x in m['load_average'])} (a shared machine: "
        "compare the ratios, measured side by side, more than the absolute times).",
        f"- Versions: analyzer {v['analyzer']}, DuckDB {v['duckdb']}, polars {v['polars']}, pandas {v['pandas']}, "
        f"pyarrow {v['pyarrow']}, Python {v['python']}.",
        f"- Command: `analyzer bench {sizes} --format {r.fmt} --repeat {r.repeat}{limit}`.",
        "- Each run is a fresh process; a figure is the median with min–max of its runs (dashboard pages: p50 and p95 "
        "of page views), the work only (no process start or imports); peak RSS is the largest of the runs. "
        "rows/s counts the rows of the transactions file.",
        "",
    ]
    for s in r.sizes:
        lines += size_section(s, r.fmt)
    return "\n".join(lines).rstrip() + "\n"
