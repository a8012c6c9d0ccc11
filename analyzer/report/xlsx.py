"""The one Excel writer: a query's rows as an .xlsx workbook, at disk speed.

Used by the report (`write_xlsx`: affected_*.xlsx and the remediation lists, the same rows,
columns and order as the CSV) and by the dashboard's "Download Excel"
(analyzer/serve/queries.py), through `write_query` (a statement name or SELECT with its bound
parameters) or `write_rows` (a DuckDB result).

How: an .xlsx is a zip of XML parts. DuckDB streams the rows as Arrow batches; polars
expressions (no Python callbacks) turn a whole batch into the sheet's `<row>` XML at once; the
XML is deflated (python-isal when installed, else zlib) straight into the zip. Nothing is
held per cell in Python: 1,019,025 rows of affected_transactions (23 columns) took 11 CPU-seconds,
the query included (~90k rows per CPU-second; xlsxwriter cell by cell ~4k, its write_row ~4.4k,
polars' write_excel ~3.2k, rustpy-xlsxwriter ~51k on the same rows and machine). The benchmark's
report case shows the rows per second ("of which XLSX").

What a reader sees:
- strings are inline text cells (`t="inlineStr"`), never formulas or links: `=HYPERLINK(...)`
  stays the text it is. XML-illegal control characters are written as Excel's `_xHHHH_`
  escapes (and a literal `_xHHHH_` as `_x005F_xHHHH_`), as Excel itself does; a string is cut
  at Excel's 32,767 characters per cell;
- money (DECIMAL) is a number shown as `#,##0.00`. The cell holds the exact decimal text, but
  the xlsx format reads every number as an IEEE double: below 10^13 that round-trips to the same
  two decimals; the exact values stay in the CSV and Parquet;
- instants are Excel date-times of the wall clock in the incident's zone `tz` (Excel has no
  zones; the "about" sheet names it). Naive TIMESTAMPs are taken as already local, zoned ones
  are converted. Dates before 1900-03-01 (Excel's leap-year bug) are written as ISO text;
- counts and ratios are numbers (a non-finite double is left empty), booleans TRUE/FALSE,
  lists `a;b` text, anything else its text;
- a header row (bold), frozen below the header, an autofilter over the rows; at most
  1,048,575 rows a sheet, more continue on "name (2)", "name (3)", ...; then the "about" sheet;
- fixed document properties and zip timestamps: the same rows give the same bytes.
The file is written under a temporary name and renamed (files.atomic_path).
"""

from __future__ import annotations

import re
import struct
import warnings
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl

from analyzer import sql
from analyzer.db import Database
from analyzer.report.exports import local_select_sql
from analyzer.report.files import atomic_path

try:  # ISA-L's deflate: several times zlib's speed at level 1, the same format
    from isal import isal_zlib as _deflate_lib

    LEVEL = 1
except ImportError:  # pragma: no cover - isal is a dependency; zlib is the fallback
    _deflate_lib = zlib
    LEVEL = 1
_crc32 = _deflate_lib.crc32

MAX_ROWS = 1_048_575  # Excel's 1,048,576 rows per sheet, minus the header
BATCH = 50_000  # rows per Arrow batch turned into XML at once
CHUNK = 1 << 20  # bytes of XML per call of the deflater
MAX_CELL_CHARS = 32_767
MONEY_FORMAT = "#,##0.00"
INSTANT_FORMAT = "yyyy-mm-dd hh:mm:ss.000"
DATE_FORMAT = "yyyy-mm-dd"
WIDE = {"exploit_reason": 70, "scenes": 30, "user_id": 20, "merchant_id": 20, "txn_id": 18, "message_zh": 80,
        "message_en": 80, "reference": 26}
# Cell styles (styles.xml cellXfs, in this order).
_MONEY, _INSTANT, _HEADER, _DATE = 1, 2, 3, 4
_US_PER_DAY = 86_400_000_000
_EXCEL_EPOCH_DAYS = 25_569  # 1970-01-01 as an Excel 1900-system serial
_FIRST_SERIAL_US = -(_EXCEL_EPOCH_DAYS - 61) * _US_PER_DAY  # 1900-03-01: before it Excel's calendar is off by one
_CONTROL = [c for c in range(32) if c not in (9, 10, 13)]


# --- public API -------------------------------------------------------------------------------
def write_xlsx(db: Database, name: str, out_dir: Path, *, mask_pii: bool, tz: str,
               params: Mapping[str, Any] | None = None) -> tuple[Path, int]:
    """The report's `name`.xlsx in out_dir: the export's rows (`exports.local_select_sql`).
    Returns the path and the number of rows."""
    path = Path(out_dir) / f"{name}.xlsx"
    ids = "pseudonyms (masked)" if mask_pii else "as recorded (not masked)"
    rows = write_query(db, local_select_sql(name, mask_pii=mask_pii), {**(params or {}), "tz": tz}, path,
                       sheet=name, tz=tz, about=[("export", name), ("ids", ids)])
    return path, rows


def write_query(db: Database, query: str, params: Mapping[str, Any] | None, path: Path, *, sheet: str, tz: str,
                about: Sequence[tuple[str, Any]] = ()) -> int:
    """Write the rows of `query` (a statement name such as "report/affected_users", or a SELECT)
    with its bound parameters as a workbook at `path`; returns the number of rows."""
    select = sql.statement(query) if _is_statement_name(query) else query
    bound = sql.bind(select, params)
    # counted first, for each sheet's <dimension>: readers such as openpyxl's read-only mode size
    # the sheet by it (DuckDB counts without the ORDER BY)
    rows = db.con.sql(f"SELECT count(*) FROM ({select})", params=bound).fetchall()[0][0]
    return write_rows(db.con.sql(select, params=bound), path, sheet=sheet, tz=tz, about=about, rows=rows)


def write_rows(result: Any, path: Path, *, sheet: str, tz: str, about: Sequence[tuple[str, Any]] = (),
               rows: int | None = None) -> int:
    """Write a DuckDB result (a relation, or a cursor after `execute`) as a workbook at `path`.

    `sheet`: the first sheet's name (cut to Excel's 31 characters); `about`: (key, value) lines
    for the "about" sheet, before the row count, the zone and the money note; `rows`: how many
    rows the result holds, if known (each sheet then names its extent). Returns the rows."""
    with warnings.catch_warnings():  # a cursor's Arrow output copies once; still streamed
        warnings.simplefilter("ignore", UserWarning)
        reader = result.to_arrow_reader(BATCH)
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        book = _Zip(fh)
        sheets, total = _write_sheets(book, reader, sheet, tz, rows)
        lines = [*about, ("rows", total), ("instants", f"wall-clock time in {tz}"),
                 ("money", "exact decimals in the CSV and Parquet; here numbers shown with 2 decimals")]
        book.add(f"xl/worksheets/sheet{len(sheets) + 1}.xml", [_about_xml(lines)])
        _write_package(book, sheets, sheet, tz)
        book.close()
    return total


# --- sheets -----------------------------------------------------------------------------------
def _is_statement_name(query: str) -> bool:
    return "/" in query and not any(ch.isspace() for ch in query.strip())


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _esc(text: str) -> str:
    """A short text (header, sheet name, about line) as XML, with the escapes of `_text_expr`."""
    text = re.sub(_EXCEL_ESCAPE, lambda m: f"_x{ord(m[0]):04X}_" if len(m[0]) == 1 else "_x005F" + m[0], text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _kind(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Decimal):
        return "money"
    if isinstance(dtype, pl.Datetime):
        return "instant"
    if isinstance(dtype, pl.Date):
        return "date"
    if dtype == pl.Boolean:
        return "bool"
    if dtype.is_integer():
        return "int"
    if dtype.is_float():
        return "float"
    if isinstance(dtype, pl.List | pl.Array):
        return "list"
    return "text"


_EXCEL_ESCAPE = r"[\x00-\x08\x0B\x0C\x0E-\x1F]|_x[0-9A-Fa-f]{4}_"


def _batch_needs(df: pl.DataFrame, schema: Mapping[str, pl.DataType]) -> dict[str, tuple[bool, ...]]:
    """What this batch's columns need beyond the plain cell, found with one cheap scan: text that
    needs Excel's escapes, the XML entities, a cut; instants or dates before 1900-03-01. The
    costly forms are then built only for the batches that need them (most need none)."""
    checks: list[tuple[str, pl.Expr]] = []
    for name, dtype in schema.items():
        col = pl.col(name)
        kind = _kind(dtype)
        if kind == "text" and dtype == pl.String:
            checks += [(name, col.str.contains(_EXCEL_ESCAPE).any()), (name, col.str.contains("[&<>]").any()),
                       (name, (col.str.len_bytes().max() > MAX_CELL_CHARS).fill_null(False))]
        elif kind == "instant":  # a day's margin for a zoned instant's local clock
            checks.append((name, (col.dt.epoch("us").min() < _FIRST_SERIAL_US + _US_PER_DAY).fill_null(False)))
        elif kind == "date":
            checks.append((name, (col.cast(pl.Int32).min() < _FIRST_SERIAL_US // _US_PER_DAY).fill_null(False)))
    if not checks:
        return {}
    row = df.select([e.alias(f"{i}") for i, (_, e) in enumerate(checks)]).row(0)
    needs: dict[str, tuple[bool, ...]] = {}
    for (name, _), flag in zip(checks, row):
        needs[name] = (*needs.get(name, ()), bool(flag))
    return needs


def _text_expr(expr: pl.Expr, needs: tuple[bool, ...] = (True, True, True)) -> pl.Expr:
    """A string column as XML text content: Excel's escapes first, then the XML entities."""
    excel, xml, cut = needs
    if excel:
        escaped = expr.str.replace_all(r"(_x[0-9A-Fa-f]{4}_)", "_x005F$1")
        for code in _CONTROL:
            escaped = escaped.str.replace_all(chr(code), f"_x{code:04X}_", literal=True)
        expr = escaped
    if cut:
        expr = expr.str.slice(0, MAX_CELL_CHARS)
    if xml:
        expr = (expr.str.replace_all("&", "&amp;", literal=True).str.replace_all("<", "&lt;", literal=True)
                .str.replace_all(">", "&gt;", literal=True))
    return expr


def _cell_expr(name: str, dtype: pl.DataType, letters: str, tz: str, needs: tuple[bool, ...] | None = None) -> pl.Expr:
    """One column's `<c>` cells (null for a null value), given the row number column `_r`."""
    col = pl.col(name)
    ref = [pl.lit(f'<c r="{letters}'), pl.col("_r")]

    def number(value: pl.Expr, style: int | None = None) -> pl.Expr:
        s = f' s="{style}"' if style else ""
        return pl.concat_str([*ref, pl.lit(f'"{s}><v>'), value, pl.lit("</v></c>")])

    def text(value: pl.Expr, needs: tuple[bool, ...] | None = None) -> pl.Expr:
        return pl.concat_str([*ref, pl.lit('" t="inlineStr"><is><t xml:space="preserve">'),
                              _text_expr(value, needs or (True, True, True)),
                              pl.lit("</t></is></c>")])

    kind = _kind(dtype)
    if kind == "money":
        cell = number(col.cast(pl.String), _MONEY)
    elif kind == "int":
        cell = number(col.cast(pl.String))
    elif kind == "float":
        cell = pl.when(col.is_finite()).then(number(col.cast(pl.String)))
    elif kind == "bool":
        cell = pl.concat_str([*ref, pl.lit('" t="b"><v>'), col.cast(pl.UInt8).cast(pl.String), pl.lit("</v></c>")])
    elif kind == "instant":
        zoned = getattr(dtype, "time_zone", None)
        local = col.dt.convert_time_zone(tz).dt.replace_time_zone(None) if zoned else col
        us = local.dt.cast_time_unit("us").dt.epoch("us")
        # one division of exact integers: the serial is the double nearest the instant
        serial = ((us + _EXCEL_EPOCH_DAYS * _US_PER_DAY).cast(pl.Float64) / _US_PER_DAY).cast(pl.String)
        cell = number(serial, _INSTANT)
        if needs is None or needs[0]:
            iso = text(local.dt.to_string("%Y-%m-%dT%H:%M:%S%.f"))
            cell = pl.when(us >= _FIRST_SERIAL_US).then(cell).otherwise(iso)
    elif kind == "date":
        days = col.cast(pl.Int32)
        cell = number((days + _EXCEL_EPOCH_DAYS).cast(pl.String), _DATE)
        if needs is None or needs[0]:
            cell = pl.when(days >= _FIRST_SERIAL_US // _US_PER_DAY).then(cell).otherwise(text(col.cast(pl.String)))
    elif kind == "list":
        cell = text(col.list.eval(pl.element().cast(pl.String)).list.join(";"))
    else:
        cell = text(col.cast(pl.String), needs)
    return cell  # null for a null value (concat_str), and the row leaves the cell out


def _sheet_head(columns: list[str], kinds: list[str], rows: int | None) -> str:
    cols = "".join(
        f'<col min="{i + 1}" max="{i + 1}" width="{max(WIDE.get(c, _WIDTH.get(k, 18)), len(c) + 2)}" customWidth="1"/>'
        for i, (c, k) in enumerate(zip(columns, kinds)))
    header = "".join(f'<c r="{_column_letters(i)}1" s="{_HEADER}" t="inlineStr"><is><t>{_esc(c)}</t></is></c>'
                     for i, c in enumerate(columns))
    extent = "" if rows is None else f'<dimension ref="A1:{_column_letters(len(columns) - 1)}{rows + 1}"/>'
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_NS}" xmlns:r="{_NS_R}">'
            f'{extent}<sheetViews><sheetView workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
            'state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData><row r="1">{header}</row>')


_WIDTH = {"money": 15, "instant": 24, "date": 12, "bool": 10, "int": 12, "float": 12}


def _filter_ref(width: int, rows: int) -> str:
    return f"A1:{_column_letters(width - 1)}{max(rows, 1) + 1}"


def _sheet_tail(width: int, rows: int) -> str:
    return (f'</sheetData><autoFilter ref="{_filter_ref(width, rows)}"/>'
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>')


def _batches(reader: Any) -> Iterator[pl.DataFrame]:
    for batch in reader:
        if batch.num_rows:
            yield pl.from_arrow(batch)  # type: ignore[misc]


def _write_sheets(book: _Zip, reader: Any, sheet: str, tz: str,
                  rows: int | None) -> tuple[list[tuple[str, str]], int]:
    """The data sheets; returns their titles with their autofilter's range, and the number of rows."""
    schema = pl.from_arrow(reader.schema.empty_table()).schema  # type: ignore[union-attr]
    columns = list(schema)
    kinds = [_kind(t) for t in schema.values()]

    def rows_xml(df: pl.DataFrame) -> pl.Expr:
        needs = _batch_needs(df, schema)
        cells = [_cell_expr(c, t, _column_letters(i), tz, needs.get(c))
                 for i, (c, t) in enumerate(schema.items())]
        return pl.concat_str([pl.lit('<row r="'), pl.col("_r"), pl.lit('">'), *cells, pl.lit("</row>")],
                             ignore_nulls=True)

    titles: list[str] = []
    refs: list[str] = []
    total = 0
    in_sheet = MAX_ROWS  # rows on the open sheet; a full one means "open the next"
    for df in _batches(reader):
        while df.height:
            if in_sheet == MAX_ROWS:
                if titles:
                    book.write(_sheet_tail(len(columns), in_sheet))
                    book.end()
                    refs.append(_filter_ref(len(columns), in_sheet))
                titles.append(sheet[:31] if not titles else f"{sheet[:25]} ({len(titles) + 1})")
                book.begin(f"xl/worksheets/sheet{len(titles)}.xml")
                book.write(_sheet_head(columns, kinds, None if rows is None else min(MAX_ROWS, rows - total)))
                in_sheet = 0
            part = df.head(MAX_ROWS - in_sheet)
            df = df.slice(part.height)
            # the rows' XML, one string a row, streamed as is into the zip (no quoting, no separators)
            (part.with_row_index("_r", offset=in_sheet + 2).with_columns(pl.col("_r").cast(pl.String))
             .select(rows_xml(part)).write_csv(book, include_header=False, quote_style="never", line_terminator=""))
            in_sheet += part.height
            total += part.height
    if not titles:  # no rows: the header alone
        titles.append(sheet[:31])
        book.begin("xl/worksheets/sheet1.xml")
        book.write(_sheet_head(columns, kinds, 0))
        in_sheet = 0
    book.write(_sheet_tail(len(columns), in_sheet))
    book.end()
    refs.append(_filter_ref(len(columns), in_sheet))
    return list(zip(titles, refs)), total


def _about_xml(lines: Iterable[tuple[str, Any]]) -> str:
    rows = []
    for r, (key, value) in enumerate(lines, start=1):
        if isinstance(value, int) and not isinstance(value, bool):
            cell = f'<c r="B{r}"><v>{value}</v></c>'
        else:
            cell = f'<c r="B{r}" t="inlineStr"><is><t xml:space="preserve">{_esc(str(value))}</t></is></c>'
        rows.append(f'<row r="{r}"><c r="A{r}" s="{_HEADER}" t="inlineStr"><is><t>{_esc(key)}</t></is></c>{cell}</row>')
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_NS}" xmlns:r="{_NS_R}">'
            f'<dimension ref="A1:B{len(rows)}"/><cols><col min="1" max="1" width="18" customWidth="1"/>'
            '<col min="2" max="2" width="90" customWidth="1"/>'
            f'</cols><sheetData>{"".join(rows)}</sheetData></worksheet>')


# --- the package around the sheets ------------------------------------------------------------
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STYLES = (
    f'{_XML}<styleSheet xmlns="{_NS}">'
    f'<numFmts count="2"><numFmt numFmtId="164" formatCode="{INSTANT_FORMAT}"/>'
    f'<numFmt numFmtId="165" formatCode="{DATE_FORMAT}"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
    '<border><left/><right/><top/><bottom style="thin"><color auto="1"/></bottom><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="1" xfId="0" applyFont="1" applyBorder="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


def _absolute(ref: str) -> str:
    """A1:W8 -> $A$1:$W$8"""
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in ref.split(":"))


def _write_package(book: _Zip, data_sheets: list[tuple[str, str]], title: str, tz: str) -> None:
    titles = [t for t, _ in data_sheets] + ["about"]
    n = len(titles)
    sheets = "".join(f'<sheet name="{_esc(t)}" sheetId="{i}" r:id="rId{i}"/>' for i, t in enumerate(titles, start=1))
    # Excel keeps an autofilter's range as this hidden name; the "about" sheet has none
    names = "".join(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
                    f"'{_esc(t.replace(chr(39), chr(39) * 2))}'!{_absolute(ref)}</definedName>"
                    for i, (t, ref) in enumerate(data_sheets))
    book.add("xl/workbook.xml", [
        f'{_XML}<workbook xmlns="{_NS}" xmlns:r="{_NS_R}"><bookViews><workbookView activeTab="0"/></bookViews>'
        f'<sheets>{sheets}</sheets><definedNames>{names}</definedNames></workbook>'])
    rels = "".join(f'<Relationship Id="rId{i}" Type="{_NS_R}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                   for i in range(1, n + 1))
    book.add("xl/_rels/workbook.xml.rels", [
        f'{_XML}<Relationships xmlns="{_NS_PKG}">{rels}'
        f'<Relationship Id="rId{n + 1}" Type="{_NS_R}/styles" Target="styles.xml"/></Relationships>'])
    book.add("xl/styles.xml", [_STYLES])
    book.add("_rels/.rels", [
        f'{_XML}<Relationships xmlns="{_NS_PKG}">'
        f'<Relationship Id="rId1" Type="{_NS_R}/officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
        'core-properties" Target="docProps/core.xml"/>'
        f'<Relationship Id="rId3" Type="{_NS_R}/extended-properties" Target="docProps/app.xml"/></Relationships>'])
    # Fixed properties: the same rows give the same workbook bytes.
    book.add("docProps/core.xml", [
        f'{_XML}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f'<dc:title>{_esc(title)}</dc:title><dc:description>instants in {_esc(tz)}</dc:description>'
        '<dc:creator>analyzer</dc:creator>'
        '<dcterms:created xsi:type="dcterms:W3CDTF">2000-01-01T00:00:00Z</dcterms:created>'
        '<dcterms:modified xsi:type="dcterms:W3CDTF">2000-01-01T00:00:00Z</dcterms:modified>'
        '</cp:coreProperties>'])
    book.add("docProps/app.xml", [
        f'{_XML}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        '<Application>Microsoft Excel</Application></Properties>'])
    ct = "application/vnd.openxmlformats-officedocument"
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{ct}.spreadsheetml.'
                        'worksheet+xml"/>' for i in range(1, n + 1))
    book.add("[Content_Types].xml", [
        f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.spreadsheetml.sheet.main+xml"/>{overrides}'
        f'<Override PartName="/xl/styles.xml" ContentType="{ct}.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-'
        'properties+xml"/>'
        f'<Override PartName="/docProps/app.xml" ContentType="{ct}.extended-properties+xml"/></Types>'])


class _Zip:
    """A streaming zip writer (deflate, fixed 1980 timestamps, zip64 where needed), laid out as
    the standard library's zipfile writes with force_zip64: zipfile cannot take another deflate
    implementation. Each local header is completed in place once its entry is written."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.entries: list[tuple[bytes, int, int, int, int]] = []  # name, crc, size, packed, offset

    def begin(self, name: str) -> None:
        self._name = name.encode("utf-8")
        self._offset = self.fh.tell()
        # version 4.5 (zip64), flag 0x800 (UTF-8 name), deflate, 1980-01-01 00:00, the sizes in a
        # zip64 extra field (filled in by end())
        self.fh.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0x800, 8, 0, 0x21, 0, 0xFFFFFFFF, 0xFFFFFFFF,
                                  len(self._name), 20) + self._name + struct.pack("<HHQQ", 1, 16, 0, 0))
        self._deflate = _deflate_lib.compressobj(LEVEL, zlib.DEFLATED, -15)
        self._crc = self._size = self._packed = 0
        self._pending = bytearray()

    def write(self, data: str | bytes) -> int:
        """Append to the open entry. The deflater gets fixed CHUNK-sized pieces whatever the
        caller's pieces (polars' depend on its threads), so its output, and the file, is the same."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        self._crc = _crc32(data, self._crc)
        self._size += len(data)
        self._pending += data
        if len(self._pending) >= CHUNK:
            whole = len(self._pending) // CHUNK * CHUNK
            with memoryview(self._pending) as view:
                for start in range(0, whole, CHUNK):
                    self._emit(self._deflate.compress(view[start:start + CHUNK]))
            del self._pending[:whole]
        return len(data)

    def flush(self) -> None:  # polars' write_csv calls it; the entry is flushed by end()
        pass

    def _emit(self, packed: bytes) -> None:
        self._packed += len(packed)
        self.fh.write(packed)

    def end(self) -> None:
        self._emit(self._deflate.compress(bytes(self._pending)) + self._deflate.flush())
        self._pending = bytearray()
        here = self.fh.tell()
        self.fh.seek(self._offset + 14)
        self.fh.write(struct.pack("<I", self._crc))
        self.fh.seek(self._offset + 30 + len(self._name) + 4)
        self.fh.write(struct.pack("<QQ", self._size, self._packed))
        self.fh.seek(here)
        self.entries.append((self._name, self._crc, self._size, self._packed, self._offset))

    def add(self, name: str, parts: Iterable[str]) -> None:
        self.begin(name)
        for part in parts:
            self.write(part)
        self.end()

    def close(self) -> None:
        big = 0xFFFFFFFF
        start = self.fh.tell()
        for raw, crc, size, packed, offset in self.entries:
            wide = [v for v in (size, packed, offset) if v >= big]
            extra = struct.pack(f"<HH{len(wide)}Q", 1, 8 * len(wide), *wide) if wide else b""
            self.fh.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45 if wide else 20, 0x800, 8, 0, 0x21,
                                      crc, min(packed, big), min(size, big), len(raw), len(extra), 0, 0, 0, 0,
                                      min(offset, big)) + raw + extra)
        end = self.fh.tell()
        count, length = len(self.entries), end - start
        if count >= 0xFFFF or start >= big or length >= big:
            self.fh.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, length, start))
            self.fh.write(struct.pack("<IIQI", 0x07064B50, 0, end, 1))
        self.fh.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(count, 0xFFFF), min(count, 0xFFFF),
                                  min(length, big), min(start, big), 0))
