"""The `analyzer` command: parse options, call the library, print.

No SQL and no business logic here. Data goes to stdout; progress and errors go to stderr.
Every failure becomes one line on stderr and an exit code from `errors.ExitCode`
(the traceback only with --debug).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from contextlib import nullcontext
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from analyzer import __version__
from analyzer.errors import AnalyzerError, DataError, ExitCode, InputError, UsageError, exit_code_for

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class AnalyzerGroup(click.Group):
    """Maps every exception to an exit code in one place."""

    def main(self, *args, **kwargs):  # type: ignore[override]
        debug = "--debug" in sys.argv
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            err.print("aborted")
            sys.exit(ExitCode.USAGE_ERROR)
        except click.ClickException as exc:
            err.print(f"error: {exc.format_message()}", markup=False)
            sys.exit(ExitCode.USAGE_ERROR)
        except KeyboardInterrupt:
            err.print("interrupted")
            sys.exit(130)
        except Exception as exc:  # the one error handler
            if debug:
                err.print_exception()
            code = exit_code_for(exc)
            if isinstance(exc, AnalyzerError):
                err.print(f"error: {exc.message}", markup=False)
            else:
                err.print(f"internal error: {type(exc).__name__}: {exc} (run with --debug and report it)",
                          markup=False)
            sys.exit(int(code))


@click.group(cls=AnalyzerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="analyzer")
@click.option("--debug", is_flag=True, help="Show tracebacks and the SQL of a failed query.")
def main(debug: bool) -> None:
    """Post-incident audit-log analyzer for payment platforms."""
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")


def db_option(help_text: str):
    return click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
                        help=help_text)


def label_option(help_text: str = "Which analysis (analyze --label); default: the default one."):
    return click.option("--label", default="default", show_default=True, help=help_text)


def check_memory_limit(value: str | None) -> str | None:
    """A --memory-limit as DuckDB reads it (8GB, 1536MB, 2GiB), or a usage error; None: not given."""
    if value is None:
        return None
    if not re.fullmatch(r"\d+(\.\d+)?\s*([KMGT]i?B|B)", value.strip(), re.IGNORECASE):
        raise UsageError(f"--memory-limit {value!r}: give a size such as 8GB, 1536MB or 2GiB")
    return value.strip()


def _open_analysis(db_path: Path, label: str):
    """The database read-only, on the analysis `label` (an unknown label lists the known ones)."""
    from analyzer.analysis import labels
    from analyzer.db import Database

    if not db_path.exists():
        raise InputError("database file does not exist (run `analyzer ingest` and `analyzer analyze` first)",
                         path=str(db_path))
    from analyzer.ingest.verify import verify

    db = Database(db_path, read_only=True)
    try:
        verify(db)  # the Parquet files read in place: cheap (size and footer)
        labels.open_analysis(db, label)
    except BaseException:
        db.close()
        raise
    return db


def _progress(message: str) -> None:
    if err.is_terminal:
        err.print(f"[dim]{message}[/dim]")


class QueryProgressBar:
    """A progress bar on stderr for long statements: polls DuckDB's query_progress() from a thread.

    Shown only on a terminal; the label follows the step the library reports."""

    def __init__(self, db, label: str):
        self.db, self.label, self.enabled = db, label, err.is_terminal
        self._stop = threading.Event()

    def step(self, message: str) -> None:
        self.label = message
        if self.enabled:
            self.progress.update(self.task, description=message, completed=0)

    def __enter__(self) -> QueryProgressBar:
        if not self.enabled:
            return self
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.db.enable_progress()
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                                 TimeElapsedColumn(), console=err, transient=True)
        self.task = self.progress.add_task(self.label, total=100)
        self.progress.start()
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()
        return self

    def _poll(self) -> None:
        while not self._stop.wait(0.2):
            try:
                done = self.db.query_progress()
            except Exception:  # the connection is between statements: nothing to show
                continue
            if done >= 0:
                self.progress.update(self.task, completed=done)

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self._stop.set()
            self.thread.join()
            self.progress.stop()


# --- sample ------------------------------------------------------------------------------
@main.command()
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write the sample incident into.")
@click.option("--seed", default=7, show_default=True, type=int, help="Random seed (same seed, same files).")
@click.option("--payments", default=100_000, show_default=True, type=click.IntRange(min=1000),
              help="Number of ordinary payments to generate.")
@click.option("--format", "formats_", multiple=True,
              help="Also write the incident in this real format (repeatable; see `analyzer formats`).")
def sample(out_dir: Path, seed: int, payments: int, formats_: tuple[str, ...]) -> None:
    """Generate the sample incident (and its expected answers in truth/)."""
    from analyzer import sample_formats
    from analyzer.sample import generate

    for name in formats_:  # an unknown name fails before anything is written
        sample_formats.check(name)
    with err.status("generating the sample incident") if err.is_terminal else nullcontext():
        result = generate(out_dir, seed=seed, payments=payments)
    out.print(f"wrote the sample incident to {out_dir}: {result.payments:,} payments, {result.refunds:,} refunds, "
              f"seed {seed}; expected answers in {result.truth_dir}", markup=False)
    out.print(f"  next: analyzer ingest --db incident.duckdb --transactions {result.transactions_csv} "
              f"{result.transactions_replay} --config-changes {result.config_changes} --events {result.events} "
              "--tz Asia/Shanghai", markup=False)
    for name in formats_:
        written = sample_formats.write(name, out_dir, out_dir)
        flag = {"transactions": "--transactions", "config_changes": "--config-changes"}[written.kind]
        others = ("--config-changes " + str(result.config_changes) if written.kind == "transactions" else
                  f"--transactions {result.transactions_csv} {result.transactions_replay}")
        out.print(f"  {name}: analyzer ingest --db {name}.duckdb {flag} {' '.join(map(str, written.files))} {others} "
                  f"--events {result.events}" + (f" --mapping {written.mapping}" if written.mapping else "")
                  + f" --tz {written.tz or 'Asia/Shanghai'}", markup=False)


# --- ingest ------------------------------------------------------------------------------
class ManyPathsCommand(click.Command):
    """Lets `--transactions a.csv b.jsonl` name several files after one flag (as documented)."""

    many = ("--transactions", "--config-changes", "--events")

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rewritten: list[str] = []
        current = None
        for arg in args:
            if arg in self.many:
                current = arg
                continue
            if arg.startswith("-"):
                current = None
                rewritten.append(arg)
            elif current is not None:
                rewritten.extend([current, arg])
            else:
                rewritten.append(arg)
        return super().parse_args(ctx, rewritten)


@main.command(cls=ManyPathsCommand)
@db_option("DuckDB file to load into (created if missing; written as its next generation).")
@click.option("--transactions", multiple=True,
              help="Transaction files, directories or globs: canonical CSV/JSON/Parquet or a bill export.")
@click.option("--config-changes", multiple=True, help="Config-change and flag audit logs.")
@click.option("--events", multiple=True, help="Other timeline events (alerts, statements, reports).")
@click.option("--tz", default=None, help="Zone of naive timestamps, e.g. Asia/Shanghai (required when any are naive).")
@click.option("--mapping", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="TOML file mapping your columns onto the canonical ones, and objects onto campaigns.")
@click.option("--format", "fmt", default=None, help="Force a reader (see `analyzer formats`) instead of detecting it.")
@click.option("--encoding", default=None, help="Text encoding of CSV/JSON inputs (default: detected: UTF-8, BOM, GBK).")
@click.option("--currency", default=None, help="ISO 4217 currency of amounts without a currency column, e.g. CNY.")
@click.option("--float-money", type=click.Choice(["round"]), default=None,
              help="Accept floating-point money columns (Parquet FLOAT/DOUBLE), rounded half away from zero.")
@click.option("--copy", is_flag=True,
              help="Copy Parquet transactions into the database instead of reading them in place.")
@click.option("--memory-limit", default=None, metavar="SIZE",
              help="DuckDB's memory limit for this command, e.g. 8GB (default 1536MB; spills to disk beyond it).")
def ingest(db_path: Path, transactions: tuple[str, ...], config_changes: tuple[str, ...], events: tuple[str, ...],
           tz: str | None, mapping: Path | None, fmt: str | None, encoding: str | None, currency: str | None,
           float_money: str | None, copy: bool, memory_limit: str | None) -> None:
    """Validate and load input files into DuckDB, quarantining bad rows (Parquet transactions
    are validated and read in place; --copy copies them)."""
    from analyzer import store
    from analyzer.ingest import ingest as run_ingest
    from analyzer.ingest.loader import INGEST_MEMORY_LIMIT

    if not (transactions or config_changes or events):
        raise UsageError("nothing to ingest: give --transactions, --config-changes and/or --events")
    memory_limit = check_memory_limit(memory_limit) or INGEST_MEMORY_LIMIT
    with store.writer(db_path, "ingest") as db, QueryProgressBar(db, "ingest") as bar:
        report = run_ingest(db, transactions=transactions, config_changes=config_changes, events=events,
                            tz=tz, mapping=mapping, encoding=encoding, fmt=fmt, currency=currency,
                            float_money=float_money, progress=bar.step, copy=copy,
                            memory_limit=memory_limit)
    _print_ingest(report)
    if report.failures:
        lines = []
        for f in report.failures:
            top = ", ".join(f"{reason} ({n:,})" for reason, n in sorted(f.rejects_by_reason.items(),
                                                                      key=lambda kv: -kv[1])[:3])
            what = (f"all {f.rows_read:,} rows rejected: {top}" if f.rows_read else
                    f"no row recognised ({f.rows_skipped:,} lines skipped as not rows)")
            sample = f"; first rejected row: {f.sample_reject[:200]}" if f.sample_reject else ""
            lines.append(f"{f.path} ({f.format}): nothing loaded, {what}{sample}")
        raise DataError("; ".join(lines) + " (the rejects are in the table `rejects`)")


def _print_ingest(report) -> None:
    table = Table(title="Ingest: read = loaded + duplicate + rejected, per file", title_justify="left")
    for col in ("file", "kind", "format", "read", "loaded", "duplicate", "rejected", "skipped", "check"):
        table.add_column(col, justify="right" if col in ("read", "loaded", "duplicate", "rejected", "skipped")
                         else "left")
    reasons: dict[tuple[str, str], int] = {}
    names = [Path(f.path).name for f in report.files]

    def shown(path: str) -> str:  # partitions of a lake share a name: dt=2025-01-16/part-0.parquet
        p = Path(path)
        return f"{p.parent.name}/{p.name}" if names.count(p.name) > 1 else p.name

    for f in report.files:
        check = ("already ingested, unchanged" if f.skipped else
                 "NOTHING LOADED" if f.loaded_nothing else "ok" if f.reconciles else "MISMATCH")
        table.add_row(shown(f.path), f.kind, f.format + (" (in place)" if f.in_place else ""),
                      f"{f.rows_read:,}", f"{f.rows_loaded:,}",
                      f"{f.rows_duplicate:,}", f"{f.rows_rejected:,}", f"{f.rows_skipped:,}", check)
        for reason, n in f.rejects_by_reason.items():
            reasons[(shown(f.path), reason)] = n
    out.print(table)
    if reasons:
        by_reason = Table(title="Rejects by reason (table `rejects`)", title_justify="left")
        for col in ("file", "reason", "rows"):
            by_reason.add_column(col, justify="right" if col == "rows" else "left")
        for (name, reason), n in sorted(reasons.items()):
            by_reason.add_row(name, reason, f"{n:,}")
        out.print(by_reason)


# --- formats -----------------------------------------------------------------------------
@main.command()
def formats() -> None:
    """List the readers: every input format ingest recognises."""
    from analyzer.ingest.readers import READERS

    table = Table(title="Readers (ingest detects the format; --format NAME forces one)", title_justify="left")
    for col in ("name", "kind", "recognises", "example"):
        table.add_column(col, overflow="fold")
    for reader in READERS:
        table.add_row(reader.name, ", ".join(reader.kinds), reader.recognises, reader.example)
    out.print(table)


# --- analyze -----------------------------------------------------------------------------
@main.command()
@db_option("The ingested DuckDB file; the analysis is written as its next generation.")
@click.option("--campaign", "campaigns", multiple=True, help="Campaign(s) to price (default: the bad change's).")
@click.option("--bad-change", default=None, help="The change_id that started the bad period (default: inferred).")
@click.option("--fix-change", default=None, help="The change_id that ended it (default: inferred).")
@click.option("--lag-tolerance", default=60.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds a pricing node may lag behind a legitimate change before it counts as excess.")
@click.option("--exploit-min-txns", default=10, show_default=True, type=click.IntRange(min=1),
              help="Affected transfers/card repayments that flag a user as an exploiter.")
@click.option("--tz", default=None, help="Zone to show instants in (default: the zone used at ingest, else UTC).")
@click.option("--label", default="default", show_default=True,
              help="Name of this analysis, kept beside the others (e.g. inferred, named-0047, lag-120s).")
@click.option("--currency", default=None, help="Analyse only the payments in this currency (ISO 4217).")
@click.option("--strict", is_flag=True, help="A doubtful --bad-change or --fix-change is an error, not a warning.")
@click.option("--timeline-context", default=60, show_default=True, type=click.IntRange(min=0), metavar="MINUTES",
              help="The timeline starts this long before the bad change; older rows are shown collapsed.")
@click.option("--verify", "verify_mode", type=click.Choice(["quick", "full"]), default="quick", show_default=True,
              help="Check Parquet files read in place: quick (size, footer hash; full hash if the mtime moved) "
                   "or full (SHA-256 of every file).")
@click.option("--engine", default="duckdb", show_default=True, type=click.Choice(["duckdb", "spark"]),
              help="Where the payments are analysed: the embedded DuckDB, or Apache Spark (the `spark` extra, Java 17).")
@click.option("--spark-master", default=None, metavar="URL",
              help="With --engine spark: local[N] (default local[2]) or spark://HOST:7077.")
@click.option("--spark-remote", default=None, metavar="URL", help="With --engine spark: a Spark Connect server, sc://HOST:15002.")
@click.option("--spark-transactions", default=None, metavar="PARQUET|TABLE",
              help="With --engine spark: the payments as Parquet (file, directory, hive partitions) or a Spark "
                   "catalog table (default: the database's own, exported once to Parquet beside it).")
@click.option("--spark-dir", "spark_dir", default=None, metavar="DIR",
              help="With --engine spark: where Spark writes its run directories and the exported payments "
                   "(default: <db>.spark beside the database); one per database, earlier runs in it are removed.")
@click.option("--memory-limit", default=None, metavar="SIZE",
              help="DuckDB's memory limit for this command, e.g. 8GB (default 1536MB; spills to disk beyond it).")
def analyze(db_path: Path, campaigns: tuple[str, ...], bad_change: str | None, fix_change: str | None,
            lag_tolerance: float, exploit_min_txns: int, tz: str | None, label: str, currency: str | None,
            strict: bool, timeline_context: int, verify_mode: str, engine: str, spark_master: str | None,
            spark_remote: str | None, spark_transactions: str | None, spark_dir: str | None,
            memory_limit: str | None) -> None:
    """Reconstruct the incident: versions, excess, affected sets, timeline, summary."""
    from analyzer import store
    from analyzer.analysis import labels
    from analyzer.analysis.pipeline import ANALYZE_MEMORY_LIMIT, AnalysisParams
    from analyzer.analysis.pipeline import analyze as run_analyze
    from analyzer.analysis.summary import load_summary
    from analyzer.engine import payments_engine
    from analyzer.ingest.loader import check_tz
    from analyzer.ingest.verify import verify

    check_tz(tz)
    labels.check(label)
    params = AnalysisParams(campaigns=campaigns, bad_change=bad_change, fix_change=fix_change,
                            lag_tolerance_ms=round(lag_tolerance * 1000), exploit_min_txns=exploit_min_txns,
                            display_tz=tz, label=label, currency=currency, strict=strict,
                            timeline_context_minutes=timeline_context,
                            memory_limit=check_memory_limit(memory_limit) or ANALYZE_MEMORY_LIMIT)
    if not db_path.exists():
        raise InputError("database file does not exist (run `analyzer ingest` first)", path=str(db_path))
    with store.writer(db_path, "analyze") as db:
        verify(db, verify_mode)
        with payments_engine(db, engine, master=spark_master, remote=spark_remote,
                             transactions=spark_transactions, workdir=spark_dir) as payments, \
                QueryProgressBar(db, "analyzing"):
            run_analyze(db, params, payments=payments)
        data = load_summary(db)
    _print_summary(data)


# --- check -------------------------------------------------------------------------------
@main.command()
@db_option("The analyzed DuckDB file (read only).")
@label_option()
def check(db_path: Path, label: str) -> None:
    """Run the invariants; exit 4 with the offending rows when one fails."""
    import polars as pl

    from analyzer.analysis.checks import run_checks

    with _open_analysis(db_path, label) as db:
        results = run_checks(db)
    failed = [r for r in results if not r.passed]
    for r in results:
        out.print(f"{'ok  ' if r.passed else 'FAIL'}  {r.name}: {r.description}"
                  + ("" if r.passed else f" ({r.count} offending rows)"), markup=False)
        if not r.passed:
            with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=80, tbl_width_chars=240,
                           tbl_hide_dataframe_shape=True):
                out.print(str(r.sample), markup=False)
    if failed:
        raise DataError(f"{len(failed)} of {len(results)} checks failed: {', '.join(r.name for r in failed)}")


# --- report ------------------------------------------------------------------------------
@main.command()
@db_option("The analyzed DuckDB file (read only).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write the reports into (created if missing).")
@click.option("--format", "formats", default="csv,parquet,xlsx,html,md,timeline", show_default=True,
              help="Comma-separated: csv, parquet, xlsx, html, md, timeline.")
@click.option("--mask-pii/--no-mask-pii", default=None,
              help="Mask user ids and payees everywhere / nowhere (default: in the documents and remediation lists).")
@click.option("--raw-csv", is_flag=True,
              help="Write CSV cells as they are (for machines), without neutralising spreadsheet formulas.")
@click.option("--allow-stale", is_flag=True,
              help="Report an analysis older than the data (the report then says so on its first page).")
@click.option("--rules", "rules_path", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Guardrail rules (TOML) replayed in the report (default: the default rule set).")
@click.option("--postmortem", "postmortem_path", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="The post-mortem to refresh and put first (default: postmortem.md beside the database, if any).")
@click.option("--messages", "messages_dir", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="Directory of message templates overriding the packaged ones (notify.zh.txt, ...).")
@label_option()
def report(db_path: Path, out_dir: Path, formats: str, mask_pii: bool | None, raw_csv: bool, allow_stale: bool,
           rules_path: Path | None, postmortem_path: Path | None, messages_dir: Path | None, label: str) -> None:
    """Write the exports, remediation lists, incident report (post-mortem first) and timeline export."""
    from analyzer.guardrails.rules import load_rules
    from analyzer.report import ALL_FORMATS, write_reports
    from analyzer.report.postmortem import default_path

    chosen = tuple(f.strip().lower() for f in formats.split(",") if f.strip())
    unknown = sorted(set(chosen) - set(ALL_FORMATS))
    if unknown or not chosen:
        raise UsageError(f"--format: unknown {', '.join(unknown) or '(empty)'}; choose from {', '.join(ALL_FORMATS)}")
    rules = load_rules(rules_path)  # a bad rules file fails before anything is written
    if postmortem_path is None and default_path(db_path).exists():
        postmortem_path = default_path(db_path)
    elif postmortem_path is not None and not postmortem_path.exists():
        raise InputError("no such post-mortem (write one with `analyzer postmortem init`)", path=str(postmortem_path))
    with _open_analysis(db_path, label) as db:
        result = write_reports(db, out_dir, formats=chosen, mask_pii=mask_pii, raw_csv=raw_csv,
                               allow_stale=allow_stale, rules=rules, postmortem_path=postmortem_path,
                               messages_dir=messages_dir)
    for warning in result.warnings:
        err.print(f"warning: {warning}", markup=False)
    for path in result.files:
        out.print(str(path), markup=False)


# --- compare -----------------------------------------------------------------------------
@main.command()
@db_option("The analyzed DuckDB file (read only).")
@click.argument("first")
@click.argument("second")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def compare(db_path: Path, first: str, second: str, as_json: bool) -> None:
    """What differs between two analyses of the database (analyze --label)."""
    from analyzer.analysis.compare import compare as run_compare

    with _open_analysis(db_path, first) as db:
        result = run_compare(db, first, second)
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
        return
    for line in result.lines():
        out.print(line, markup=False)


# --- replay and lint-change ---------------------------------------------------------------
RULES_HELP = "Guardrail rules (TOML, [[rules]] tables; default: the rule set that ships with the analyzer)."


@main.command()
@db_option("The analyzed DuckDB file (read only).")
@click.option("--rules", "rules_path", default=None, type=click.Path(dir_okay=False, path_type=Path), help=RULES_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per rule.")
@label_option()
def replay(db_path: Path, rules_path: Path | None, as_json: bool, label: str) -> None:
    """Replay guardrail rules over the analysed payments: what each would have prevented, and at what cost."""
    from analyzer.guardrails.replay import replay as run_replay
    from analyzer.guardrails.rules import load_rules

    rules = load_rules(rules_path)
    with _open_analysis(db_path, label) as db:
        result = run_replay(db, rules)
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
        return
    _print_replay(result)


def _print_replay(result) -> None:
    from analyzer.formatting import count, duration, instant, money

    inc = result.incident
    tz = inc.display_tz
    out.print(f"Guardrails replayed ({result.rules.source}) over {count(inc.payments)} payments of "
              f"{', '.join(inc.campaigns)}: {money(inc.excess_at_stake)} at stake (the over-discount of "
              f"{count(inc.over_discounted_payments)} payments); instants in {tz}", markup=False)
    for o in result.outcomes:
        out.print("", markup=False)
        out.print(f"{o.name} ({o.kind}): {o.description}", markup=False)
        if o.tripped_at is None:
            trip = "does not trip"
        else:
            trip = f"trips at {instant(o.tripped_at, tz)} ({duration(o.time_to_trip_s)} after the bad change)"
        out.print(f"  {trip}; {count(o.payments_blocked)} payments blocked or cut"
                  + (f"; {count(o.trips_elsewhere)} trip(s) elsewhere" if o.trips_elsewhere is not None else ""),
                  markup=False)
        share = "" if o.share_prevented is None else f" ({o.share_prevented}%)"
        out.print(f"  prevents {money(o.excess_prevented)}{share}, leaks {money(o.excess_leaked)}; takes "
                  f"{money(o.legit_discount_blocked)} of legitimate discount from {count(o.legit_payments_blocked)} "
                  "payments", markup=False)
        if o.clauses:
            out.print(f"  on the bad change: {'; '.join(o.clauses)}", markup=False)
        for note in o.notes:
            out.print(f"  note: {note}", markup=False)
    if result.recommendation is not None:
        out.print("", markup=False)
        out.print(result.recommendation.sentence(), markup=False)


@main.command("lint-change")
@click.argument("change", type=click.Path(dir_okay=False, path_type=Path))
@db_option("The analyzed DuckDB file whose campaign history and payments the change is checked against.")
@click.option("--rules", "rules_path", default=None, type=click.Path(dir_okay=False, path_type=Path), help=RULES_HELP)
@click.option("--hours", default=24, show_default=True, type=click.IntRange(1, 24 * 366),
              help="Hours of the campaign's payments the what-if prices with the proposed config.")
@click.option("--tz", default=None, help="Zone of a naive `ts` in the change, e.g. Asia/Shanghai.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@label_option()
def lint_change(change: Path, db_path: Path, rules_path: Path | None, hours: int, tz: str | None,
                as_json: bool, label: str) -> None:
    """Check a proposed config change before it goes live; exit 7 when a finding blocks it."""
    from analyzer.errors import BlockedError
    from analyzer.guardrails.lint import lint_change as run_lint
    from analyzer.guardrails.rules import load_rules
    from analyzer.ingest.loader import check_tz

    check_tz(tz)
    rules = load_rules(rules_path)
    with _open_analysis(db_path, label) as db:
        result = run_lint(db, change, rules, hours=hours, tz=tz)
    c = result.change
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        out.print(f"{c['change_id']} of {c['campaign_id']} (replacing {c['prev_change_id'] or 'nothing'}), "
                  f"rules: {result.rules_source}", markup=False)
        for note in result.notes:
            out.print(f"  note: {note}", markup=False)
        for f in result.findings:
            out.print(f"{f.severity.upper():<5}  {f.source}: {f.message}", markup=False)
    blocking = [f.source for f in result.findings if f.severity == "block"]
    if blocking:
        raise BlockedError(f"{c['change_id']} is blocked by {', '.join(dict.fromkeys(blocking))}")
    if not as_json:
        warnings = sum(f.severity == "warn" for f in result.findings)
        out.print(f"pass: {c['change_id']} may go live ({warnings} warning(s))", markup=False)
# --- postmortem --------------------------------------------------------------------------
@main.group()
def postmortem() -> None:
    """The post-mortem document: a first draft from the analysis, then the team's."""


@postmortem.command("init")
@db_option("The analyzed DuckDB file (read only; notes and the post-mortem are kept beside it).")
@click.option("--out", "out_path", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write it (default: postmortem.md beside the database).")
@click.option("--force", is_flag=True, help="Overwrite an existing post-mortem (its text is lost).")
def postmortem_init(db_path: Path, out_path: Path | None, force: bool) -> None:
    """Write postmortem.md prefilled from the analysis, its figures marked."""
    from analyzer.report import postmortem as pm

    with _analysis_db(db_path) as db:
        path = pm.init(db, db_path, out_path, force=force)
    out.print(str(path), markup=False)


@postmortem.command("refresh")
@db_option("The analyzed DuckDB file (read only; notes and the post-mortem are kept beside it).")
@click.option("--file", "file_path", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="The post-mortem (default: postmortem.md beside the database).")
def postmortem_refresh(db_path: Path, file_path: Path | None) -> None:
    """Refresh the marked figures from the analysis; warn about the sentences to check."""
    from analyzer.report import postmortem as pm

    path = file_path or pm.default_path(db_path)
    with _analysis_db(db_path) as db:
        doc = pm.refresh(db, path)
    for warning in doc.warnings:
        err.print(f"warning: {warning}", markup=False)
    out.print(f"{path}: {len(doc.changes)} figure(s) changed", markup=False)


# --- annotate ----------------------------------------------------------------------------
def _default_who() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no login name (a container without a passwd entry)
        return ""


def _analysis_db(db_path: Path):
    from analyzer.db import Database
    from analyzer.report import require_analyzed

    if not db_path.exists():
        raise InputError("database file does not exist (run `analyzer ingest` and `analyzer analyze` first)",
                         path=str(db_path))
    db = Database(db_path, read_only=True)
    try:
        require_analyzed(db)
    except Exception:
        db.close()
        raise
    return db


@main.group()
def annotate() -> None:
    """Reviewers' notes (star, tags, comment) on timeline rows, payments, users and changes."""


@annotate.command("add")
@db_option("The analyzed DuckDB file (read only; notes and the post-mortem are kept beside it).")
@click.option("--target", required=True, help="What the note is about: change:ID, event:ID, milestone:ROLE, "
                                              "payment:TXN_ID, user:USER_ID, or timeline:N (a timeline row).")
@click.option("--star", is_flag=True, help="Star it.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable; commas separate several).")
@click.option("--comment", default="", help="The comment.")
@click.option("--who", default=None, help="Who writes it (default: your login name).")
def annotate_add(db_path: Path, target: str, star: bool, tags: tuple[str, ...], comment: str, who: str | None) -> None:
    """Add a note; prints its id."""
    from analyzer import annotations

    with _analysis_db(db_path) as db:
        what = annotations.resolve_target(db, target)
    note = annotations.annotate(db_path, what, who=who if who is not None else _default_who(), star=star, tags=tags,
                                comment=comment)
    out.print(f"{note.id}  {note.what}", markup=False)


@annotate.command("delete")
@db_option("The analyzed DuckDB file (read only; notes and the post-mortem are kept beside it).")
@click.option("--id", "note_id", required=True, help="The note's id (see `analyzer annotate list`).")
@click.option("--who", default=None, help="Who retracts it (default: your login name).")
def annotate_delete(db_path: Path, note_id: str, who: str | None) -> None:
    """Retract a note (the activity log keeps it)."""
    from analyzer import annotations

    note = annotations.delete(db_path, note_id, who=who if who is not None else _default_who())
    out.print(f"deleted {note.id}  {note.what}", markup=False)


@annotate.command("list")
@db_option("The analyzed DuckDB file (read only; notes and the post-mortem are kept beside it).")
@click.option("--json", "as_json", is_flag=True, help="As JSON lines.")
@click.option("--mask-pii/--no-mask-pii", default=True, show_default=True,
              help="Show users as pseudonyms (default) or as their ids.")
def annotate_list(db_path: Path, as_json: bool, mask_pii: bool) -> None:
    """List the current notes, oldest first."""
    from analyzer.report import notes as report_notes

    with _analysis_db(db_path) as db:
        rows = report_notes.as_rows(report_notes.load(db, db_path, mask=mask_pii))
    if as_json:
        for r in rows:
            click.echo(json.dumps(r, ensure_ascii=False))
        return
    table = Table(title=f"Reviewer notes ({len(rows)})", title_justify="left")
    for col in ("id", "at", "who", "what", "label", "star", "tags", "comment"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(*(("*" if r[c] else "") if c == "star" else str(r[c] or "") for c in
                        ("id", "at", "who", "what", "label", "star", "tags", "comment")))
    out.print(table)


@annotate.command("export")
@db_option("The analyzed DuckDB file (read only; notes and the post-mortem are kept beside it).")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (.csv or .jsonl).")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default=None,
              help="Output format (default: from the file name).")
@click.option("--mask-pii/--no-mask-pii", default=True, show_default=True,
              help="Users as pseudonyms (default) or as their ids.")
def annotate_export(db_path: Path, out_path: Path, fmt: str | None, mask_pii: bool) -> None:
    """Write the current notes as CSV or JSON lines."""
    from analyzer.report import notes as report_notes

    with _analysis_db(db_path) as db:
        path = report_notes.export(db, db_path, out_path, fmt=fmt, mask=mask_pii)
    out.print(str(path), markup=False)


# --- dashboard ---------------------------------------------------------------------------
@main.command()
@db_option("The analyzed DuckDB file (opened read only, one generation per page).")
@click.option("--port", default=None, type=click.IntRange(1, 65535),
              help="Port to listen on (default: 8501, or the next free one).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback needs --auth-config.")
@click.option("--auth-config", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Streamlit secrets file with the login ([auth]) and who may reveal ids ([access]).")
def dashboard(db_path: Path, port: int | None, host: str, auth_config: Path | None) -> None:
    """Serve the Streamlit dashboard on the analyzed database."""
    from analyzer.serve.launch import launch

    if not db_path.exists():
        raise InputError("database file does not exist (run `analyzer ingest` and `analyzer analyze` first)",
                         path=str(db_path))
    code = launch(db_path, port=port, host=host, auth_config=auth_config)
    if code:
        sys.exit(code)


# --- bench -------------------------------------------------------------------------------
@main.command()
@click.option("--payments", "payments", multiple=True, type=click.IntRange(min=1000), default=(1_000_000,),
              show_default=True, help="Payments to generate (repeat the option for several sizes).")
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True)
@click.option("--repeat", default=3, show_default=True, type=click.IntRange(min=1), help="Runs per case (median, min, max).")
@click.option("--memory-limit", default=None, help="DuckDB memory_limit for the analyzer cases, e.g. 8GB.")
@click.option("--out", "out_dir", default=Path("benchmarks/results"), show_default=True,
              type=click.Path(file_okay=False, path_type=Path))
@click.option("--data-dir", default=Path("benchmarks/data"), show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Where generated inputs are kept between runs.")
@click.option("--spark", is_flag=True,
              help="Also time analyze --engine spark on local[2] (the `spark` extra; not in make bench).")
def bench(payments: tuple[int, ...], fmt: str, repeat: int, memory_limit: str | None, out_dir: Path,
          data_dir: Path, spark: bool) -> None:
    """Measure ingest, analysis, reports and dashboard queries against references."""
    from analyzer import checkout

    checkout.require("benchmarks/harness/__init__.py", "the benchmark harness")
    checkout.importable()
    from benchmarks.harness import run_bench

    result = run_bench(payments=payments, fmt=fmt, repeat=repeat, memory_limit=memory_limit,
                       out_dir=out_dir, data_dir=data_dir, progress=_progress, spark=spark)
    out.print(result.markdown, markup=False)


# --- summary -----------------------------------------------------------------------------
@main.command()
@db_option("The ingested or analyzed DuckDB file (read only).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON (the keys are a contract).")
@label_option()
def summary(db_path: Path, as_json: bool, label: str) -> None:
    """Print the incident summary."""
    from analyzer.analysis.summary import load_summary

    with _open_analysis(db_path, label) as db:
        data = load_summary(db)
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    _print_summary(data)


def _print_summary(data: dict) -> None:
    from analyzer.analysis.summary import as_text

    out.print(as_text(data), markup=False)


if __name__ == "__main__":
    main()
