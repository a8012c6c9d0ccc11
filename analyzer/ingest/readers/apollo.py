"""Apollo (ApolloConfigDB): the release history of namespaces, exported from MySQL as CSV.

Two shapes are read:
  * the join a team runs (tests/fixtures/formats/SOURCES.md): ReleaseHistory with each row's
    release (ReleaseKey, ReleaseName, ReleaseComment, Configurations) and, when exported, the
    previous release's configuration (PreviousConfigurations);
  * the two tables as they are, ReleaseHistory.csv and Release.csv, passed together in one
    --config-changes list: the reader of each sees the other (ReadContext.companions). A
    Release row gives again the change that published it (collapsed by the loader as a
    duplicate); Release.csv alone is not a change log and is refused.
One main-line history row is one change: change_id = Id, ts = DataChange_CreatedTime (the
database server's local time: --tz or the mapping's tz must say which zone), actor =
DataChange_CreatedBy, object = AppId/ClusterName/NamespaceName, version = the release's
ReleaseKey, config_raw / previous_raw = the configurations of ReleaseId / PreviousReleaseId.
A rollback (Operation 1) points ReleaseId at the release it restores. Gray-branch rows are
skipped. The selection and pairing are in analyzer/sql/ingest/readers/apollo.sql.
"""

from __future__ import annotations

from analyzer.errors import InputError
from analyzer.ingest.readers.base import Lines, ReadContext, Reader, Staged
from analyzer.ingest.readers.change_logs import (changes_relation, companions, export_records, header_of, raw_json,
                                                 reader_rejects, skipped, text_column)
from analyzer.ingest.sniff import Sample
from analyzer.sql import quote_ident

HISTORY_SIGNATURE = {"ReleaseId", "PreviousReleaseId", "Operation", "BranchName"}
RELEASE_SIGNATURE = {"ReleaseKey", "Configurations", "IsAbandoned"}
HISTORY_REQUIRED = ("Id", "AppId", "ClusterName", "NamespaceName", "BranchName", "ReleaseId", "PreviousReleaseId",
                    "Operation", "DataChange_CreatedTime")
HISTORY_COLUMNS = (*HISTORY_REQUIRED, "OperationContext", "DataChange_CreatedBy",
                   "ReleaseKey", "ReleaseName", "ReleaseComment", "Configurations", "PreviousConfigurations")
RELEASE_REQUIRED = ("Id", "Configurations")
RELEASE_COLUMNS = ("Id", "ReleaseKey", "Name", "Comment", "Configurations")


def shape(sample: Sample) -> str | None:
    names = header_of(sample)
    if HISTORY_SIGNATURE <= names:
        return "history"
    if RELEASE_SIGNATURE <= names and "ReleaseId" not in names:
        return "release"
    return None


def sniff(sample: Sample) -> int:
    return 60 if shape(sample) else 0


def _records(ctx: ReadContext, n: int, mine: bool) -> tuple[str, str, Lines]:
    """(kind of table, its normalised relation, its lines) for one Apollo file."""
    kind = shape(ctx.sample)
    required, columns = (HISTORY_REQUIRED, HISTORY_COLUMNS) if kind == "history" else (RELEASE_REQUIRED, RELEASE_COLUMNS)
    records, header = export_records(ctx, f"_apollo_file_{n}", required,
                                     f"an Apollo {'ReleaseHistory' if kind == 'history' else 'Release'}")
    relation = (f"SELECT {'true' if mine else 'false'} AS _mine, _line, {raw_json(records.header)} AS _raw, "
                + ", ".join(f"{text_column(header, c)} AS {quote_ident(c)}" for c in columns)
                + f" FROM {quote_ident(records.table)}")
    return kind or "", relation, records.lines


def stage(ctx: ReadContext) -> Staged:
    mine_kind, mine_relation, lines = _records(ctx, 0, True)
    relations = {"history": [], "release": []}
    relations[mine_kind].append(mine_relation)
    for n, other in enumerate(companions(ctx, lambda s: shape(s) is not None), 1):
        kind, relation, _lines = _records(other, n, False)
        relations[kind].append(relation)
    if not relations["history"]:
        raise InputError("this is Apollo's Release table: the configurations, not the change log. Pass "
                         "ReleaseHistory.csv with it in the same --config-changes (or the joined export, README)",
                         path=ctx.where)
    empty_releases = ("SELECT false AS _mine, CAST(NULL AS BIGINT) AS _line, CAST(NULL AS VARCHAR) AS _raw, "
                      + ", ".join(f"CAST(NULL AS VARCHAR) AS {quote_ident(c)}" for c in RELEASE_COLUMNS) + " WHERE false")
    ctx.db.run_file("ingest/readers/apollo", history=" UNION ALL ".join(relations["history"]),
                    releases=" UNION ALL ".join(relations["release"]) or empty_releases)
    rejects = lines.reader_rejects + reader_rejects(ctx, "_apollo_records")
    relation = changes_relation(ctx, "_apollo_records", HISTORY_COLUMNS)
    return Staged(relation, raw_sql="_raw", skipped=skipped(ctx, "_apollo_records"),
                  finish=lambda _rows: Lines(reader_rejects=rejects, blank=lines.blank))


READER = Reader(
    name="apollo",
    kinds=("config_changes",),
    recognises="ApolloConfigDB's ReleaseHistory as CSV (joined with Release, or with Release.csv in the same list): "
               "publishes and rollbacks per AppId/ClusterName/NamespaceName; the database's local times (--tz)",
    example="analyzer ingest --db incident.duckdb --config-changes ReleaseHistory.csv Release.csv --tz Asia/Shanghai "
            "--mapping apollo.toml",
    sniff=sniff,
    stage=stage,
    mapping="[[campaigns]] object = \"AppId/ClusterName/NamespaceName\", fields by key (discount.type = "
            "{ key = \"discount.type\" }); [config_changes] fields from the export's columns (README, Your data)",
)
