"""The sample's config changes as Nacos's database tables: his_config_info.csv (the history) and
config_info.csv (the current configs), as exported from MySQL (columns of Nacos's
mysql-schema.sql, CRLF between records, the multi-line content quoted, times in the server's
local time, Asia/Shanghai, without a zone).

Each campaign is a properties config `<campaign>.properties` of the group `PRICING` in the public
tenant. As Nacos writes its history: the first change is an `I` row holding the new content; every
later one a `U` row holding the content BEFORE it; the last content is in config_info.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

from analyzer.sample_formats import Writer, Written, register
from analyzer.sample_formats.config_keys import SAMPLE_TZ, mapping_toml, naive_local, read_changes

GROUP, APP_NAME = "PRICING", "pricing-service"
HISTORY_COLUMNS = ("id", "nid", "data_id", "group_id", "app_name", "content", "md5", "gmt_create", "gmt_modified",
                   "src_user", "src_ip", "op_type", "tenant_id", "encrypted_data_key", "publish_type", "gray_name",
                   "ext_info")
CURRENT_COLUMNS = ("id", "data_id", "group_id", "content", "md5", "gmt_create", "gmt_modified", "src_user", "src_ip",
                   "app_name", "tenant_id", "c_desc", "c_use", "effect", "type", "c_schema", "encrypted_data_key")
FIRST_NID, FIRST_CONFIG_ID = 301, 31


def properties(keys: dict[str, str]) -> str:
    return "\n".join(f"{k}={v.replace(chr(92), chr(92) * 2)}" for k, v in keys.items())


def md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def data_id(campaign_id: str) -> str:
    return f"{campaign_id}.properties"


def object_of(campaign_id: str) -> str:
    return f"{GROUP}/{data_id(campaign_id)}"


def _ip(actor: str) -> str:
    return f"10.12.{int(md5(actor)[:2], 16) % 16}.{int(md5(actor)[2:4], 16) % 250 + 2}"


def write(sample_dir: Path, out: Path) -> Written:
    changes = read_changes(sample_dir)
    history, current = [], {}
    for n, change in enumerate(changes):
        when, content = naive_local(change.ts), properties(change.keys)
        ext = json.dumps({"src_user": change.actor, "type": "properties"}, separators=(",", ":"))
        before = current.get(change.campaign_id)
        if before is None:  # an insert records the new content, with id 0
            config_id = FIRST_CONFIG_ID + len(current)
            history.append((0, FIRST_NID + n, data_id(change.campaign_id), GROUP, APP_NAME, content, md5(content), when,
                            when, change.actor, _ip(change.actor), "I", "", "", "formal", "", ext))
            current[change.campaign_id] = [config_id, content, when, when, change.actor]
        else:  # an update records the content before it
            config_id, old, created, _modified, _user = before
            history.append((config_id, FIRST_NID + n, data_id(change.campaign_id), GROUP, APP_NAME, old, md5(old), when,
                            when, change.actor, _ip(change.actor), "U", "", "", "formal", "", ext))
            current[change.campaign_id] = [config_id, content, created, when, change.actor]
    files = (out / "his_config_info.csv", out / "config_info.csv")
    with open(files[0], "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(HISTORY_COLUMNS)
        writer.writerows(history)
    with open(files[1], "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(CURRENT_COLUMNS)
        for campaign_id, (config_id, content, created, modified, user) in current.items():
            writer.writerow((config_id, data_id(campaign_id), GROUP, content, md5(content), created, modified, user,
                             _ip(user), APP_NAME, "", f"campaign {campaign_id}", "", "", "properties", "", ""))
    mapping = out / "mapping.toml"
    mapping.write_text(mapping_toml("Nacos", {c: object_of(c) for c in current}), encoding="utf-8")
    return Written("nacos", "config_changes", files, mapping, SAMPLE_TZ)


WRITER = register(Writer("nacos", "config_changes", write))
