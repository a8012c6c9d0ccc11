"""What the payment-platform bill readers share (alipay_merchant.py, wechat_pay.py): the fast
pre-pass that cuts a bill's preamble and trailer and transcodes it, the cleaned cells, exact
sums of money cells, Beijing time for naive times, and the check that the columns a
field is built from are there.

A bill is CSV between a preamble (lines before the header) and a trailer (totals, a summary):
the pre-pass copies the data part in 1 MiB blocks (never line by line: a merchant's monthly
bill has millions of rows) into a UTF-8 file for DuckDB, counting the lines it leaves out (and
takes a format's padding off where bytes.replace is cheaper than SQL). Everything else
(splitting, cleaning, arithmetic, validation) happens in DuckDB.
"""

from __future__ import annotations

import codecs
import gzip
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from analyzer.db import first_line
from analyzer.errors import InputError
from analyzer.ingest.readers.base import (BLOCK, CsvSource, Prepared, ReadContext, Staged, columns_sql,
                                          csv_lines, csv_reader_rejects, csv_source, select)
from analyzer.sql import quote_ident, quote_literal

# Both platforms write Beijing wall-clock time without an offset.
BILL_ZONE = "Asia/Shanghai"
# An exact cent amount as text: digits beyond the cent only when they are zeros.
CENT_TEXT = r"[+-]?([0-9]+(\.[0-9]{0,2}0*)?|\.[0-9]{1,2}0*)"
UTF8 = ("utf-8", "utf-8-sig", "utf8")


@dataclass(frozen=True)
class BillText:
    prepared: Prepared
    preamble: tuple[str, ...]   # the lines before the header, decoded


def _open_binary(path: Path):
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gz else open(path, "rb")


def prepare_bill(ctx: ReadContext, *, is_header: Callable[[str], bool], trailer: str,
                 unpad: Callable[[bytes], bytes] | None = None) -> BillText:
    """The bill's header and data lines as UTF-8 text for DuckDB. The preamble is every line
    before the first one `is_header` accepts; the trailer starts at the first later line that
    begins with `trailer`. Both are left out and counted as skipped. `unpad` takes the format's
    padding off the cells of a block of complete data lines (UTF-8): a few bytes.replace calls
    cost less than any per-cell function in SQL on a bill of millions of rows."""
    enc = ctx.sample.encoding
    utf8 = enc.lower().replace("_", "-") in UTF8
    if not utf8 and "\n#,`".encode(enc, errors="replace") != b"\n#,`":
        raise InputError(f"a bill cannot be read in {enc} (bills are UTF-8 or GBK); pass --encoding",
                         path=ctx.where)
    out_path = ctx.workdir / (ctx.src.path.name.removesuffix(".gz") + ".utf8")
    preamble: list[str] = []
    n = 0
    try:
        with _open_binary(ctx.src.path) as fin, open(out_path, "wb") as fout:
            header = None
            while header is None:  # the preamble: a few lines, read one by one
                raw = fin.readline()
                if not raw:
                    raise InputError("no header line found", path=ctx.where)
                n += 1
                if n == 1 and raw.startswith(codecs.BOM_UTF8):
                    raw = raw[len(codecs.BOM_UTF8):]
                text = raw.decode(enc).lstrip("\ufeff").rstrip("\r\n")
                if is_header(text):
                    header = text
                    fout.write(raw if utf8 else raw.decode(enc).encode("utf-8"))
                else:
                    preamble.append(text)
            header_line = n
            data_lines, trailer_lines = _copy_data(fin, fout, enc, utf8, trailer, unpad, header_line, ctx.where)
    except UnicodeDecodeError as exc:
        raise InputError(f"bytes that are not valid {enc}; pass --encoding", path=ctx.where, line=n) from exc
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"cannot read: {first_line(exc)}", path=ctx.where) from exc
    return BillText(Prepared(out_path, header_line, len(preamble) + trailer_lines, data_lines), tuple(preamble))


def _copy_data(fin, fout, enc: str, utf8: bool, trailer: str, unpad: Callable[[bytes], bytes] | None,
               header_line: int, where: str) -> tuple[int, int]:
    """Copy complete lines block by block up to the trailer: (data lines, trailer lines). A
    line break never occurs inside a character in UTF-8 or GBK, so the trailer is searched in
    the bytes (UTF-8) or in each block as decoded."""
    nl, mark = (b"\n", trailer.encode("utf-8")) if utf8 else ("\n", trailer)
    decoder = None if utf8 else codecs.getincrementaldecoder(enc)(errors="strict")
    pending = nl[:0]
    data_lines = 0
    while True:
        block = fin.read(BLOCK)
        eof = not block
        if decoder is None:
            chunk = block
        else:
            try:
                chunk = decoder.decode(block, final=eof)
            except UnicodeDecodeError as exc:
                line = header_line + data_lines + block[: exc.start].count(b"\n") + 1
                raise InputError(f"bytes that are not valid {enc}; pass --encoding", path=where, line=line) from exc
        buf = pending + chunk
        cut = len(buf) if eof else buf.rfind(nl) + 1
        complete, pending = buf[:cut], buf[cut:]
        # `complete` starts at the beginning of a line
        found = complete.find(nl + mark)
        at = 0 if complete.startswith(mark) else found + 1 if found >= 0 else -1
        data = complete if at < 0 else complete[:at]
        out = data if utf8 else data.encode("utf-8")
        fout.write(unpad(out) if unpad else out)
        data_lines += data.count(nl)
        if at >= 0:
            rest = complete[at:]
            return data_lines, _count_lines(rest if utf8 else rest.encode("utf-8"), fin)
        if eof:
            return data_lines + bool(data and not data.endswith(nl)), 0


def _count_lines(head: bytes, fin) -> int:
    count, last = head.count(b"\n"), head[-1:]
    while block := fin.read(BLOCK):
        count += block.count(b"\n")
        last = block[-1:]
    return count + (last not in (b"\n", b""))


# --- SQL over the cleaned cells -----------------------------------------------------------------
def cleaned(source: CsvSource, clean: Callable[[str], str], money: Sequence[str] = ()) -> str:
    """The CSV relation with every cell cleaned (`clean` of the raw cell), under the header's
    names, so the reader's own expressions and a mapping's `sql` read clean values; `_raw` keeps
    the cells as read. DuckDB computes only the cleaned columns that are used. `_money_ok` says
    that every one of the `money` columns holds an exact cent amount: one regular expression per
    row instead of one per cell (exact_sum looks at the cells one by one only when it is false)."""
    raw = [f"_c{i}" for i in range(len(source.header))]
    cols = ", ".join(f"{clean(r)} AS {quote_ident(h)}" for r, h in zip(raw, source.header))
    packed = ", ".join(f"{quote_ident(h)} := {r}" for r, h in zip(raw, source.header))
    inner = f"(SELECT {cols}, struct_pack({packed}) AS _raw FROM {source.relation} AS _bill({', '.join(raw)}))"
    if not money:
        return inner
    joined = "concat_ws('|', " + ", ".join(f"coalesce({col(m)}, '')" for m in money) + ")"
    pattern = "(" + CENT_TEXT + ")" + (r"\|(" + CENT_TEXT + ")") * (len(money) - 1)
    return f"(SELECT *, regexp_full_match({joined}, {quote_literal(pattern)}) AS _money_ok FROM {inner})"


def col(name: str) -> str:
    return quote_ident(name)


def find(header: Iterable[str], name: str) -> str:
    """The header's spelling of a column: as documented (full-width parentheses, `（元）`), or
    with ASCII parentheses, as some exports and hand-edited files have it."""
    names = set(header)
    ascii_name = name.replace("（", "(").replace("）", ")")
    return name if name in names or ascii_name not in names else ascii_name


def exact_sum(terms: Sequence[tuple[int, str]]) -> str:
    """SQL: the exact decimal sum of money cells, each with its sign (+1 / -1), as text. When a
    cell is not an exact cent amount the result is a text naming it, which the stage rejects as
    bad_money: nothing is rounded, an empty cell is not taken as zero. Needs `_money_ok` over
    these cells (cleaned)."""
    checks = [f"coalesce(regexp_full_match({col(name)}, {quote_literal(CENT_TEXT)}), false)" for _sign, name in terms]
    total = " ".join(f"{'+' if sign > 0 else '-'} TRY_CAST({col(name)} AS DECIMAL(18,2))" for sign, name in terms)
    total = f"CAST(CAST(0 {total} AS DECIMAL(18,2)) AS VARCHAR)"
    first_bad = " ".join(f"WHEN NOT {check} THEN {quote_literal(name + ' = ')} || coalesce({col(name)}, 'empty')"
                         for check, (_sign, name) in zip(checks, terms))
    return f"(CASE WHEN _money_ok THEN {total} ELSE (CASE {first_bad} ELSE {total} END) END)"


def require(ctx: ReadContext, text: BillText, header: Iterable[str], needs: Mapping[str, Sequence[str]],
            what: str) -> None:
    """Every column the reader builds a canonical field from is in the header, unless the
    mapping gives that field itself."""
    names = set(header)
    for field, columns in needs.items():
        missing = [c for c in columns if c not in names]
        if missing and field not in ctx.fields:
            raise InputError(f"{what} without the column {missing[0]!r} (it gives {field}; or map {field} "
                             "with --mapping)", path=ctx.where, line=text.prepared.header_line)


def stage_bill(ctx: ReadContext, text: BillText, source: CsvSource, relation_source: str,
               own: Mapping[str, str]) -> Staged:
    """The staged relation of a bill: the user's mapping over the reader's own expressions, naive
    times read in Beijing time unless --tz (or the mapping's tz) says otherwise, lines numbered
    as in the file."""
    header = set(source.header)

    def access(path: str) -> str:
        if path not in header:
            raise InputError(f"the mapping names a column {path!r} that the bill does not have "
                             f"(columns: {', '.join(source.header)})", path=ctx.where,
                             line=text.prepared.header_line)
        return quote_ident(path)

    columns = columns_sql(ctx, own, access, lambda _c: False)
    # the bill's own times are naive Beijing time (or --tz): read in that zone, never "naive"
    naive = "false" if "ts" not in ctx.fields else None
    relation = select(columns, line="CAST(NULL AS BIGINT)", malformed="false", raw="_raw", source=relation_source,
                      naive=naive)
    prepared = text.prepared
    _check_binds(ctx, relation, prepared.header_line)

    def finish(rows: int):
        return csv_lines(ctx, source, rows, csv_reader_rejects(ctx))

    return Staged(relation, skipped=prepared.skipped, first_line=prepared.header_line + 1, finish=finish,
                  zone=BILL_ZONE)


def _check_binds(ctx: ReadContext, relation: str, header_line: int) -> None:
    """A mapping's `sql` naming a column the bill does not have is the user's input error (with
    DuckDB's own words for it), not a bug."""
    if not any(spec.sql for spec in ctx.fields.values()):
        return
    try:
        ctx.db.execute(f"SELECT * FROM ({relation}) LIMIT 0").fetchall()
    except duckdb.BinderException as exc:
        raise InputError(f"a `sql` field of the mapping does not fit this bill: {first_line(exc)}",
                         path=ctx.where, line=header_line) from exc


def bill_source(ctx: ReadContext, text: BillText) -> CsvSource:
    return csv_source(ctx, text.prepared, delim=",")
