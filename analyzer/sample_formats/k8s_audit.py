"""The sample's config changes as a Kubernetes audit log: kube-apiserver's log backend,
`--audit-log-format=json`, one audit.k8s.io/v1 Event per line, UTC MicroTime.

Each campaign is a ConfigMap in the namespace `pricing` (its name the campaign id in lower case,
as Kubernetes names must be), its data the campaign's flat keys. Each change is a RequestReceived
and a ResponseComplete event at level RequestResponse: the first a `kubectl create`, an update a
`kubectl edit` (a patch: the request holds only the keys it changed), the fix a `kubectl replace`
(an update); a config reloader's `get` follows each change (Metadata level). Only the
ResponseComplete events of the changes are changes; the reader skips the others.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from analyzer.sample_formats import Writer, Written, register
from analyzer.sample_formats.config_keys import mapping_toml, read_changes, utc_micros

NAMESPACE = "pricing"
FIRST_RESOURCE_VERSION = 48_100_000
RELOADER = "system:serviceaccount:pricing:config-reloader"


def name_of(campaign_id: str) -> str:
    return campaign_id.lower()


def object_of(campaign_id: str) -> str:
    return f"{NAMESPACE}/{name_of(campaign_id)}"


def _event(audit_id: str, stage: str, verb: str, uri: str, user: str, name: str, received: str, stamp: str,
           level: str = "RequestResponse", **extra: object) -> str:
    event = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": level, "auditID": audit_id, "stage": stage,
             "requestURI": uri, "verb": verb,
             "user": {"username": user, "groups": ["oidc:pricing-ops", "system:authenticated"]},
             "sourceIPs": ["10.8.1.23"], "userAgent": "kubectl/v1.29.3 (linux/amd64) kubernetes/6813625",
             "objectRef": {"resource": "configmaps", "namespace": NAMESPACE, "name": name, "apiVersion": "v1"},
             **extra, "requestReceivedTimestamp": received, "stageTimestamp": stamp}
    if stage == "ResponseComplete":
        event["annotations"] = {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""}
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


def write(sample_dir: Path, out: Path) -> Written:
    changes = read_changes(sample_dir)
    lines, created, versions, data = [], {}, {}, {}  # per ConfigMap: creation time, resourceVersion, data
    for n, change in enumerate(changes):
        name = name_of(change.campaign_id)
        audit_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sample/{change.change_id}"))
        rv = str(FIRST_RESOURCE_VERSION + 1000 * n)
        stamp, received = utc_micros(change.ts), utc_micros(change.ts, -18)
        first = change.campaign_id not in created
        created.setdefault(change.campaign_id, utc_micros(change.ts)[:19] + "Z")
        metadata = {"name": name, "namespace": NAMESPACE, "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
                    "resourceVersion": rv, "creationTimestamp": created[change.campaign_id]}
        response = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": metadata, "data": change.keys}
        if first:
            verb, uri, code = "create", f"/api/v1/namespaces/{NAMESPACE}/configmaps?fieldManager=kubectl-create", 201
            request = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": name, "namespace": NAMESPACE},
                       "data": change.keys}
        elif change.action == "rollback":
            verb, uri, code = "update", f"/api/v1/namespaces/{NAMESPACE}/configmaps/{name}?fieldManager=kubectl-replace", 200
            request = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {**metadata, "resourceVersion": versions[name]},
                       "data": change.keys}
        else:
            verb, uri, code = "patch", f"/api/v1/namespaces/{NAMESPACE}/configmaps/{name}?fieldManager=kubectl-edit", 200
            request = {"data": {k: v for k, v in change.keys.items() if data[name].get(k) != v}}
        lines.append(_event(audit_id, "RequestReceived", verb, uri, change.actor, name, received, received))
        lines.append(_event(audit_id, "ResponseComplete", verb, uri, change.actor, name, received, stamp,
                            responseStatus={"metadata": {}, "code": code}, requestObject=request,
                            responseObject=response))
        get_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sample/{change.change_id}/get"))
        got, got_done = utc_micros(change.ts, 2000), utc_micros(change.ts, 2003)
        lines.append(_event(get_id, "ResponseComplete", "get", f"/api/v1/namespaces/{NAMESPACE}/configmaps/{name}",
                            RELOADER, name, got, got_done, level="Metadata",
                            responseStatus={"metadata": {}, "code": 200}))
        versions[name], data[name] = rv, dict(change.keys)
    path = out / "kube-apiserver-audit.log"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    mapping = out / "mapping.toml"
    mapping.write_text(mapping_toml("a Kubernetes audit log", {c.campaign_id: object_of(c.campaign_id) for c in changes}),
                       encoding="utf-8")
    return Written("k8s-audit", "config_changes", (path,), mapping, None)


WRITER = register(Writer("k8s-audit", "config_changes", write))
