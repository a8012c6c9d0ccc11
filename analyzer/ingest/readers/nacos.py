"""Nacos: the config history (`his_config_info`) and the current configs (`config_info`), exported
from the Nacos database as CSV.

A history row's `content` is the value AFTER the change only for an insert (`op_type` I); for an
update (U) or a delete (D) it is the value BEFORE it. So the value after a change is the content
of the config's next history row, and after its last change, the current `config_info` content.
Pass both files in one --config-changes list: the reader of each sees the other
(ReadContext.companions) and both give the same changes, which the loader collapses (the
config_info rows count as duplicates of the history's last changes, or load as changes of their
own where the history has none). Without config_info, the after value of each config's last
change is unknown (NULL). The selection and pairing are in analyzer/sql/ingest/readers/nacos.sql;
`content` (properties, YAML or JSON, by the config's `type`, ext_info's type or the data id's
extension) becomes JSON text in Python (readers/config_text.py), on the changes only.

change_id = nid, ts = gmt_modified (the Nacos server's local time: --tz or the mapping's tz),
actor = src_user (src_ip when auth is off), object = tenant_id/group_id/data_id (the public
tenant is empty, so left out), version = the MD5 of the content after the change.
"""

from __future__ import annotations

from analyzer.ingest.readers.base import Lines, ReadContext, Reader, Staged
from analyzer.ingest.readers.change_logs import (changes_relation, companions, export_records, header_of, raw_json,
                                                 reader_rejects, skipped, small_table, text_column)
from analyzer.ingest.readers.config_text import to_json
from analyzer.ingest.sniff import Sample
from analyzer.sql import quote_ident

HISTORY_SIGNATURE = {"nid", "data_id", "group_id", "op_type"}
CURRENT_SIGNATURE = {"data_id", "group_id", "content", "md5"}
HISTORY_REQUIRED = ("nid", "data_id", "group_id", "content", "gmt_modified", "op_type")
HISTORY_COLUMNS = (*HISTORY_REQUIRED, "id", "tenant_id", "app_name", "md5", "gmt_create", "src_user", "src_ip",
                   "encrypted_data_key", "publish_type", "gray_name", "ext_info")
CURRENT_REQUIRED = ("data_id", "group_id", "content", "gmt_modified")
CURRENT_COLUMNS = (*CURRENT_REQUIRED, "id", "tenant_id", "app_name", "md5", "gmt_create", "src_user", "src_ip", "type")
EXPOSED = ("nid", "id", "data_id", "group_id", "tenant_id", "app_name", "content", "md5", "gmt_create", "gmt_modified",
           "src_user", "src_ip", "op_type", "publish_type", "gray_name", "ext_info", "type", "after_content",
           "before_content")


def shape(sample: Sample) -> str | None:
    names = header_of(sample)
    if HISTORY_SIGNATURE <= names:
        return "history"
    if CURRENT_SIGNATURE <= names and not {"nid", "op_type"} & names:
        return "current"
    return None


def sniff(sample: Sample) -> int:
    return 60 if shape(sample) else 0


def _records(ctx: ReadContext, n: int, mine: bool) -> tuple[str, str, Lines]:
    """(kind of table, its normalised relation, its lines) for one Nacos file."""
    kind = shape(ctx.sample) or ""
    required, columns = (HISTORY_REQUIRED, HISTORY_COLUMNS) if kind == "history" else (CURRENT_REQUIRED, CURRENT_COLUMNS)
    records, header = export_records(ctx, f"_nacos_file_{n}", required,
                                     f"a Nacos {'his_config_info' if kind == 'history' else 'config_info'}")
    # content is kept exactly (its MD5 is Nacos's version); the other columns are trimmed
    values = [quote_ident(c) if c == "content" else text_column(header, c) for c in columns]
    if kind == "history":
        ext = text_column(header, "ext_info")
        columns = (*columns, "ext_type")
        values.append(f"CASE WHEN json_valid({ext}) THEN json_extract_string({ext}, '$.type') END")
    relation = (f"SELECT {'true' if mine else 'false'} AS _mine, _line, {raw_json(records.header)} AS _raw, "
                + ", ".join(f"{v} AS {quote_ident(c)}" for c, v in zip(columns, values))
                + f" FROM {quote_ident(records.table)}")
    return kind, relation, records.lines


def _empty(columns: tuple[str, ...]) -> str:
    return ("SELECT false AS _mine, CAST(NULL AS BIGINT) AS _line, CAST(NULL AS VARCHAR) AS _raw, "
            + ", ".join(f"CAST(NULL AS VARCHAR) AS {quote_ident(c)}" for c in columns) + " WHERE false")


def stage(ctx: ReadContext) -> Staged:
    mine_kind, mine_relation, lines = _records(ctx, 0, True)
    relations: dict[str, list[str]] = {"history": [], "current": []}
    relations[mine_kind].append(mine_relation)
    for n, other in enumerate(companions(ctx, lambda s: shape(s) is not None), 1):
        kind, relation, _lines = _records(other, n, False)
        relations[kind].append(relation)
    db = ctx.db
    db.run_file("ingest/readers/nacos",
                history=" UNION ALL ".join(relations["history"]) or _empty((*HISTORY_COLUMNS, "ext_type")),
                current=" UNION ALL ".join(relations["current"]) or _empty(CURRENT_COLUMNS))
    _contents_as_json(ctx)
    rejects = lines.reader_rejects + reader_rejects(ctx, "_nacos_changes")
    relation = changes_relation(ctx, "_nacos_changes", EXPOSED)
    return Staged(relation, raw_sql="_raw", skipped=skipped(ctx, "_nacos_changes"),
                  finish=lambda _rows: Lines(reader_rejects=rejects, blank=lines.blank))


def _contents_as_json(ctx: ReadContext) -> None:
    """config_raw / previous_raw: the contents of the changes as JSON text (Python, on the changes only)."""
    db = ctx.db
    wanted = db.rows("""
        SELECT DISTINCT content, _declared, data_id FROM (
            SELECT after_content AS content, _declared, data_id FROM _nacos_records WHERE _kind = 'change'
            UNION ALL
            SELECT before_content, _declared, data_id FROM _nacos_records WHERE _kind = 'change')
        WHERE content IS NOT NULL""")
    small_table(ctx, "_nacos_json", {"content": ("VARCHAR", [w[0] for w in wanted]),
                                     "declared": ("VARCHAR", [w[1] for w in wanted]),
                                     "data_id": ("VARCHAR", [w[2] for w in wanted]),
                                     "json": ("VARCHAR", [to_json(*w) for w in wanted])})
    db.execute("""
        CREATE OR REPLACE TEMP TABLE _nacos_changes AS
        SELECT r.*, a.json AS config_raw, b.json AS previous_raw
        FROM _nacos_records r
        LEFT JOIN _nacos_json a ON a.content = r.after_content AND a.declared IS NOT DISTINCT FROM r._declared
             AND a.data_id IS NOT DISTINCT FROM r.data_id
        LEFT JOIN _nacos_json b ON b.content = r.before_content AND b.declared IS NOT DISTINCT FROM r._declared
             AND b.data_id IS NOT DISTINCT FROM r.data_id""").fetchall()


READER = Reader(
    name="nacos",
    kinds=("config_changes",),
    recognises="Nacos's his_config_info as CSV, with config_info in the same list: changes per "
               "tenant/group/data_id; properties, YAML or JSON contents; the server's local times (--tz)",
    example="analyzer ingest --db incident.duckdb --config-changes his_config_info.csv config_info.csv "
            "--tz Asia/Shanghai --mapping nacos.toml",
    sniff=sniff,
    stage=stage,
    mapping="[[campaigns]] object = \"tenant/group/data_id\" (public tenant left out), fields by key for properties "
            "(discount.type = { key = \"discount.type\" }) or by path for YAML/JSON (README, Your data)",
)
