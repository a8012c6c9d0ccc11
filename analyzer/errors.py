"""Error types and the exit codes of the `analyzer` command.

Every failure the CLI can report is one of these; `cli.py` maps them to an exit code in one
place and prints one line to stderr (the traceback only with `--debug`).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The documented exit codes (README, "Exit codes")."""

    OK = 0
    """Success."""
    USAGE_ERROR = 2
    """The command line is wrong: unknown option, missing argument, conflicting flags."""
    INPUT_ERROR = 3
    """An input cannot be read as given: missing file, unknown format, undecodable bytes,
    a missing required column, naive timestamps without --tz, a database that does not exist."""
    DATA_ERROR = 4
    """The data was read but cannot support the answer: nothing ingested or analyzed yet,
    no bad change found, an invariant of `analyzer check` failed."""
    INTERNAL_ERROR = 5
    """A bug: please report it with the output of --debug."""
    UNAVAILABLE = 6
    """Something the command needs is in use, exhausted or missing: another ingest/analyze is
    writing the database, the dashboard's port is taken, the disk is full; for analyze --engine
    spark, no Java, PySpark not installed, the Spark master unreachable. Nothing was changed."""
    BLOCKED = 7
    """`analyzer lint-change` found a finding that blocks the proposed change."""


class AnalyzerError(Exception):
    """Base class: an expected failure with a message meant for the user."""

    exit_code = ExitCode.INTERNAL_ERROR

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UsageError(AnalyzerError):
    exit_code = ExitCode.USAGE_ERROR


class InputError(AnalyzerError):
    """An input file problem, located as precisely as we can: file, line, field."""

    exit_code = ExitCode.INPUT_ERROR

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 field: str | None = None):
        where = ":".join(str(p) for p in (path, line) if p is not None)
        if field:
            where = f"{where} field {field!r}" if where else f"field {field!r}"
        super().__init__(f"{where}: {message}" if where else message)
        self.path, self.line, self.field = path, line, field


class DataError(AnalyzerError):
    exit_code = ExitCode.DATA_ERROR


class UnavailableError(AnalyzerError):
    exit_code = ExitCode.UNAVAILABLE


class BlockedError(AnalyzerError):
    """`analyzer lint-change`: the proposed change must not go live as it is."""

    exit_code = ExitCode.BLOCKED


def exit_code_for(exc: BaseException) -> ExitCode:
    """The one mapping from an exception to an exit code."""
    if isinstance(exc, AnalyzerError):
        return exc.exit_code
    return ExitCode.INTERNAL_ERROR
