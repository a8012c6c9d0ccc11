"""The discount model of the changes of mapped objects, joined to a config log's relation.

Called by the loader for config-change files. Without `[[campaigns]]` in the mapping the
relation passes unchanged (a canonical log carries campaign_id and config itself). With them,
the changes are staged once (a config log is small), the changes of mapped objects get their
campaign_id and model config from analyzer/ingest/campaigns.py, and a change whose raw config
lacks a model field carries the error (`_model_error`, `_model_field`) that stage_config_changes.sql
quarantines it with. A feature-flag log's relation also says whether the flag is on (`_flag_on`),
which the model folds into `enabled` (campaigns.model_config).
"""

from __future__ import annotations

import json

import pyarrow as pa

from analyzer.ingest.campaigns import CampaignFieldError, by_object, model_config
from analyzer.ingest.readers.base import ReadContext
from analyzer.sql import quote_literal


def with_models(ctx: ReadContext, relation: str) -> str:
    specs = by_object(ctx.mapping.campaigns)
    if not specs:
        return f"SELECT *, CAST(NULL AS VARCHAR) AS _model_error, CAST(NULL AS VARCHAR) AS _model_field FROM ({relation})"
    db = ctx.db
    # row_number over the relation in one thread keeps the file's order (rows may be position-numbered)
    db.execute(f"CREATE OR REPLACE TEMP TABLE _cfg AS SELECT row_number() OVER () AS _pos, * FROM ({relation})").fetchall()
    objects = "[" + ", ".join(quote_literal(o) for o in specs) + "]"
    # a feature-flag log says whether the flag is on (readers/flag_log.py); other logs do not
    has_flag = any(name == "_flag_on" for name, in db.rows("SELECT column_name FROM (DESCRIBE _cfg)"))
    flag_on = "_flag_on" if has_flag else "CAST(NULL AS BOOLEAN)"
    rows = db.rows(f"SELECT _pos, trim(CAST(object AS VARCHAR)), CAST(config_raw AS VARCHAR), {flag_on} FROM _cfg "
                   f"WHERE list_contains({objects}, trim(CAST(object AS VARCHAR)))")
    out = {"_pos": [], "campaign_id": [], "config": [], "error": [], "field": []}
    for pos, obj, raw, on in rows:
        spec = specs[obj]
        out["_pos"].append(pos)
        out["campaign_id"].append(spec.campaign_id)
        try:
            out["config"].append(json.dumps(model_config(spec, raw, on), sort_keys=True))
            out["error"].append(None)
            out["field"].append(None)
        except CampaignFieldError as exc:
            out["config"].append(None)
            out["error"].append(str(exc))
            out["field"].append(exc.field)
    table = pa.table(out, schema=pa.schema([("_pos", pa.int64()), ("campaign_id", pa.string()), ("config", pa.string()),
                                            ("error", pa.string()), ("field", pa.string())]))
    db.con.register("_cfg_model_rows", table)
    try:
        db.execute("CREATE OR REPLACE TEMP TABLE _cfg_model AS SELECT * FROM _cfg_model_rows").fetchall()
    finally:
        db.con.unregister("_cfg_model_rows")
    return ("SELECT c.* EXCLUDE (_pos, campaign_id, config), coalesce(m.campaign_id, CAST(c.campaign_id AS VARCHAR)) "
            "AS campaign_id, coalesce(m.config, CAST(c.config AS VARCHAR)) AS config, m.error AS _model_error, "
            "m.field AS _model_field FROM _cfg c LEFT JOIN _cfg_model m USING (_pos) ORDER BY c._pos")
