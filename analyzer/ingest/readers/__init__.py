"""The reader registry: every input format the analyzer reads, one module each.

`choose` picks the reader of a file from its content (readers/<name>.py scores a `Sample` of
the file's first bytes; the extension is not trusted), or the one `--format` names. A new
format is one new module with a `READER` (base.Reader), listed in READERS.
"""

from __future__ import annotations

from analyzer.errors import InputError, UsageError
from analyzer.ingest.kinds import Kind
from analyzer.ingest.readers import (alipay_merchant, apollo, canonical_csv, canonical_json, canonical_parquet,
                                     flagsmith, k8s_audit, launchdarkly, nacos, unleash, wechat_pay)
from analyzer.ingest.readers.base import Reader
from analyzer.ingest.sniff import Sample

# Specific formats first; the canonical readers take any CSV, JSON or Parquet (with a mapping).
READERS: tuple[Reader, ...] = (
    alipay_merchant.READER,
    wechat_pay.READER,
    unleash.READER,
    launchdarkly.READER,
    flagsmith.READER,
    apollo.READER,
    nacos.READER,
    k8s_audit.READER,
    canonical_csv.READER,
    canonical_json.READER,
    canonical_parquet.READER,
)
FLAGS = {"transactions": "--transactions", "config_changes": "--config-changes", "events": "--events"}
KIND_WORDS = {"transactions": "transactions", "config_changes": "a config-change log", "events": "timeline events"}


def by_name(name: str) -> Reader:
    for reader in READERS:
        if reader.name == name:
            return reader
    raise UsageError(f"--format {name!r}: no such reader; choose from {', '.join(r.name for r in READERS)} "
                     "(`analyzer formats` describes them)")


def choose(sample: Sample, kind: Kind, forced: str | None) -> Reader:
    where = str(sample.path)
    if forced:
        reader = by_name(forced)
    else:
        scored = sorted(((r.sniff(sample), n, r) for n, r in enumerate(READERS)), key=lambda t: (-t[0], t[1]))
        if not scored or scored[0][0] <= 0:
            raise InputError("not recognised as any format the analyzer reads (`analyzer formats` lists them; "
                             "--format forces one)", path=where)
        reader = scored[0][2]
    if kind.name not in reader.kinds:
        said = " or ".join(KIND_WORDS[k] for k in reader.kinds)
        raise InputError(f"this is {reader.name} ({said}), not {KIND_WORDS[kind.name]}; pass it with "
                         f"{' or '.join(FLAGS[k] for k in reader.kinds)}", path=where)
    return reader
