"""The sample's config changes as Apollo's ApolloConfigDB tables: ReleaseHistory.csv and
Release.csv, as exported from MySQL (columns of apolloconfigdb.sql, CRLF, RFC 4180 quotes, times
in the database's local time, Asia/Shanghai, without a zone).

Each campaign is a namespace of the app `pricing-service` (cluster `default`); each change is a
publish: a new Release (its configurations the campaign's flat keys, as Gson writes them) and a
ReleaseHistory row (Operation 0) pointing at it and at the release before it. The sample's fix
is a new version of the config (the pricing service logs it as such), so it is published too,
not an Apollo rollback (which would make the restored release live again under its old key).
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

from analyzer.sample_formats import Writer, Written, register
from analyzer.sample_formats.config_keys import SAMPLE_TZ, mapping_toml, naive_local, read_changes

APP_ID, CLUSTER = "pricing-service", "default"
RELEASE_COLUMNS = ("Id", "ReleaseKey", "Name", "Comment", "AppId", "ClusterName", "NamespaceName", "Configurations",
                   "IsAbandoned", "IsDeleted", "DeletedAt", "DataChange_CreatedBy", "DataChange_CreatedTime",
                   "DataChange_LastModifiedBy", "DataChange_LastTime")
HISTORY_COLUMNS = ("Id", "AppId", "ClusterName", "NamespaceName", "BranchName", "ReleaseId", "PreviousReleaseId",
                   "Operation", "OperationContext", "IsDeleted", "DeletedAt", "DataChange_CreatedBy",
                   "DataChange_CreatedTime", "DataChange_LastModifiedBy", "DataChange_LastTime")
FIRST_RELEASE_ID, FIRST_HISTORY_ID = 101, 201


def gson(doc: dict[str, str]) -> str:
    """JSON as Apollo's Gson writes it: compact, and `< > & = '` escaped."""
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    for char in "<>&='":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def object_of(campaign_id: str) -> str:
    return f"{APP_ID}/{CLUSTER}/{campaign_id}"


def write(sample_dir: Path, out: Path) -> Written:
    changes = read_changes(sample_dir)
    releases, history, last_release = [], [], {}
    for n, change in enumerate(changes):
        release_id, when = FIRST_RELEASE_ID + n, naive_local(change.ts)
        stamp = change.local().strftime("%Y%m%d%H%M%S")
        key = f"{stamp}-{hashlib.sha1(change.change_id.encode()).hexdigest()[:16]}"
        releases.append((release_id, key, f"{stamp}-release", change.ticket or "", APP_ID, CLUSTER, change.campaign_id,
                         gson(change.keys), 0, 0, 0, change.actor, when, change.actor, when))
        history.append((FIRST_HISTORY_ID + n, APP_ID, CLUSTER, change.campaign_id, CLUSTER, release_id,
                        last_release.get(change.campaign_id, 0), 0, '{"isEmergencyPublish":false}', 0, 0,
                        change.actor, when, change.actor, when))
        last_release[change.campaign_id] = release_id
    files = (out / "ReleaseHistory.csv", out / "Release.csv")
    for path, columns, rows in ((files[0], HISTORY_COLUMNS, history), (files[1], RELEASE_COLUMNS, releases)):
        with open(path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\r\n")
            writer.writerow(columns)
            writer.writerows(rows)
    mapping = out / "mapping.toml"
    mapping.write_text(mapping_toml("Apollo", {c.campaign_id: object_of(c.campaign_id) for c in changes}),
                       encoding="utf-8")
    return Written("apollo", "config_changes", files, mapping, SAMPLE_TZ)


WRITER = register(Writer("apollo", "config_changes", write))
