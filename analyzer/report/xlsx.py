"""affected_*.xlsx: the row exports as Excel workbooks for the operations team.

Called by `write_reports`. Same rows, columns and order as the CSV (`exports.select_sql`),
read from DuckDB in batches and written by xlsxwriter in constant-memory mode, so the rows
never sit in Python all at once. Money cells are numbers with the format `#,##0.00`: the xlsx
format stores every number as an IEEE double, so xlsxwriter writes float(Decimal); for amounts
below 10^13 that round-trips to the same two decimals, and the exact values stay in the CSV and
Parquet. Instants are Excel date-times of the wall clock in the incident's zone (Excel has no
zones; the "about" sheet and the header notes name it). A sheet holds at most 1,048,575 rows;
more continue on the next sheet. Strings are never turned into formulas or links.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from analyzer.db import Database
from analyzer.report.exports import local_select_sql
from analyzer.report.files import atomic_path

MAX_ROWS = 1_048_575  # Excel's 1,048,576 rows per sheet, minus the header
BATCH = 10_000
MONEY_FORMAT = "#,##0.00"
INSTANT_FORMAT = "yyyy-mm-dd hh:mm:ss.000"
WIDE = {"exploit_reason": 70, "scenes": 30, "user_id": 20, "merchant_id": 20, "txn_id": 18, "message_zh": 80,
        "message_en": 80, "reference": 26}


def _kind(type_name: str) -> str:
    t = type_name.upper()
    if t.startswith("DECIMAL"):
        return "money"
    if t.startswith("TIMESTAMP"):
        return "instant"
    if t == "BOOLEAN":
        return "bool"
    if t in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER", "DOUBLE", "FLOAT"):
        return "number"
    return "text"


def _writer(sheet: Any, kind: str, formats: dict[str, Any]) -> Callable[[int, int, Any], None]:
    if kind == "money":
        fmt = formats["money"]
        return lambda r, c, v: sheet.write_number(r, c, float(v), fmt)  # see module docstring
    if kind == "instant":
        fmt = formats["instant"]
        return lambda r, c, v: sheet.write_datetime(r, c, v, fmt)
    if kind == "bool":
        return sheet.write_boolean
    if kind == "number":
        return sheet.write_number
    return lambda r, c, v: sheet.write_string(r, c, str(v))


def write_xlsx(db: Database, name: str, out_dir: Path, *, mask_pii: bool, tz: str,
               params: Mapping[str, Any] | None = None) -> Path:
    import xlsxwriter

    path = Path(out_dir) / f"{name}.xlsx"
    cursor = db.execute(local_select_sql(name, mask_pii=mask_pii), {**(params or {}), "tz": tz})
    columns = [d[0] for d in cursor.description]
    kinds = [_kind(str(d[1])) for d in cursor.description]
    with atomic_path(path) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False, "default_date_format": INSTANT_FORMAT})
        # Fixed document properties: the same database gives the same workbook content.
        book.set_properties({"title": name, "comments": f"instants in {tz}", "created": datetime(2000, 1, 1)})
        formats = {"money": book.add_format({"num_format": MONEY_FORMAT}),
                   "instant": book.add_format({"num_format": INSTANT_FORMAT}),
                   "header": book.add_format({"bold": True, "bottom": 1})}
        sheets = 0
        total = 0

        def new_sheet():
            nonlocal sheets
            sheets += 1
            sheet = book.add_worksheet(name[:31] if sheets == 1 else f"{name[:25]} ({sheets})")
            for c, (col, kind) in enumerate(zip(columns, kinds)):
                width = WIDE.get(col, {"money": 15, "instant": 24, "bool": 10, "number": 12}.get(kind, 18))
                sheet.set_column(c, c, max(width, len(col) + 2))
                sheet.write_string(0, c, col, formats["header"])
                if kind == "instant":
                    sheet.write_comment(0, c, f"wall-clock time in {tz}")
            sheet.freeze_panes(1, 0)
            return sheet, [_writer(sheet, k, formats) for k in kinds]

        sheet, writers = new_sheet()
        row = 0
        while batch := cursor.fetchmany(BATCH):
            for record in batch:
                if row == MAX_ROWS:
                    sheet.autofilter(0, 0, row, len(columns) - 1)
                    sheet, writers = new_sheet()
                    row = 0
                row += 1
                for c, value in enumerate(record):
                    if value is not None:
                        writers[c](row, c, value)
            total += len(batch)
        sheet.autofilter(0, 0, max(row, 1), len(columns) - 1)
        about = book.add_worksheet("about")
        about.set_column(0, 0, 18)
        about.set_column(1, 1, 90)
        for r, (key, value) in enumerate([
                ("export", name), ("rows", total), ("instants", f"wall-clock time in {tz}"),
                ("money", "exact decimals in the CSV and Parquet; here numbers shown with 2 decimals"),
                ("ids", "pseudonyms (masked)" if mask_pii else "as recorded (not masked)")]):
            about.write_string(r, 0, key, formats["header"])
            about.write(r, 1, value)
        book.close()
    return path
