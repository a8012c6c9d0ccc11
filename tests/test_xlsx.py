"""The one Excel writer (analyzer/report/xlsx.py), read back by openpyxl: every kind of value with
its type and format, text that looks like a formula or holds XML-illegal characters, the split
past the row limit (a small MAX_ROWS), the about sheet, a valid zip with the same bytes twice,
and no half file when the query fails. Report and download use it: tests/test_report.py and
tests/test_dashboard.py read their workbooks too."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from analyzer.db import Database
from analyzer.report import xlsx

ROWS_SQL = """
SELECT * FROM (VALUES
    (1, '=HYPERLINK("http://x.example","pay")', CAST(1234567.89 AS DECIMAL(18,2)), 0.25::DOUBLE, true,
     TIMESTAMP '2025-01-17 08:00:20.25', TIMESTAMPTZ '2025-01-16 23:59:59.999+00', DATE '2025-01-17',
     ['transfer', 'rent'], 'a&b <c> "d"'),
    (2, '+1 555', CAST(-0.5 AS DECIMAL(18,2)), NULL, false,
     TIMESTAMP '2025-01-17 00:00:00', NULL, NULL, [], 'tab' || chr(1) || 'x _x0041_ y'),
    (3, NULL, CAST(0 AS DECIMAL(18,2)), 'inf'::DOUBLE, NULL,
     TIMESTAMP '1899-12-31 12:00:00', TIMESTAMPTZ '2025-06-30 16:00:00+00', DATE '1900-01-01', NULL, '  用户-α  ')
) AS t(n, id, amount, ratio, flag, local_at, zoned_at, day, scenes, note)
ORDER BY n
"""


@pytest.fixture()
def db():
    database = Database(":memory:")
    yield database
    database.close()


def read(path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(path)


def test_values_keep_their_types_and_formats(db, tmp_path):
    path = tmp_path / "t.xlsx"
    assert xlsx.write_query(db, ROWS_SQL, None, path, sheet="t", tz="Asia/Shanghai", about=[("export", "t")]) == 3
    book = read(path)
    assert book.sheetnames == ["t", "about"]
    sheet = book["t"]
    header = [c.value for c in sheet[1]]
    assert header == ["n", "id", "amount", "ratio", "flag", "local_at", "zoned_at", "day", "scenes", "note"]
    assert all(c.font.b for c in sheet[1])
    first, second, third = ({h: c for h, c in zip(header, row)} for row in sheet.iter_rows(min_row=2))
    # a formula-looking id is text, not a formula or a link
    assert first["id"].value == '=HYPERLINK("http://x.example","pay")' and first["id"].data_type == "s"
    assert first["id"].hyperlink is None
    assert second["id"].value == "+1 555" and second["id"].data_type == "s"
    assert third["id"].value is None
    # money: numbers with two decimals shown
    assert first["amount"].value == 1234567.89 and first["amount"].data_type == "n"
    assert first["amount"].number_format == "#,##0.00"
    assert second["amount"].value == -0.5 and third["amount"].value == 0
    assert first["n"].value == 1 and isinstance(first["n"].value, int) and first["n"].number_format == "General"
    assert first["ratio"].value == 0.25
    assert second["ratio"].value is None and third["ratio"].value is None  # NULL, and inf left empty
    assert first["flag"].value is True and second["flag"].value is False and third["flag"].value is None
    # instants: naive ones as they are, zoned ones on the wall clock of the zone (+08:00)
    assert first["local_at"].value == datetime(2025, 1, 17, 8, 0, 20, 250000)
    assert first["local_at"].number_format == "yyyy-mm-dd hh:mm:ss.000" and first["local_at"].is_date
    assert second["local_at"].value == datetime(2025, 1, 17)
    assert first["zoned_at"].value == datetime(2025, 1, 17, 7, 59, 59, 999000)
    assert third["zoned_at"].value == datetime(2025, 7, 1, 0, 0)
    assert second["zoned_at"].value is None
    assert first["day"].value == datetime(2025, 1, 17) and first["day"].number_format == "yyyy-mm-dd"
    # before 1900-03-01 Excel's calendar is a day off: written as ISO text instead
    assert third["local_at"].value == "1899-12-31T12:00:00" and third["local_at"].data_type == "s"
    assert third["day"].value == "1900-01-01"
    assert first["scenes"].value == "transfer;rent" and second["scenes"].value == "" and third["scenes"].value is None
    assert first["note"].value == 'a&b <c> "d"'
    # Excel's own escapes (openpyxl leaves them as they are; Excel shows "tab\x01x _x0041_ y")
    assert second["note"].value == "tab_x0001_x _x005F_x0041_ y"
    assert third["note"].value == "  用户-α  "  # spaces kept
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:J4"
    assert [sheet.column_dimensions[c].width for c in "ABJ"] == [12, 18, 18]


def test_the_about_sheet(db, tmp_path):
    path = tmp_path / "t.xlsx"
    xlsx.write_query(db, ROWS_SQL, None, path, sheet="t", tz="Asia/Shanghai",
                     about=[("export", "t"), ("ids", "=not a formula"), ("filters", "scenes=a\x01b <&>")])
    about = read(path)["about"]
    assert [[c.value for c in row] for row in about.iter_rows()] == [
        ["export", "t"], ["ids", "=not a formula"], ["filters", "scenes=a_x0001_b <&>"], ["rows", 3],
        ["instants", "wall-clock time in Asia/Shanghai"],
        ["money", "exact decimals in the CSV and Parquet; here numbers shown with 2 decimals"]]
    assert about["B2"].data_type == "s" and about["B4"].data_type == "n" and about["A1"].font.b


def test_rows_continue_on_the_next_sheet_past_the_limit(db, tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 2)
    monkeypatch.setattr(xlsx, "BATCH", 3)  # a batch that straddles a sheet's end
    path = tmp_path / "t.xlsx"
    select = "SELECT i, 'r' || i AS label FROM range(1, 8) t(i) ORDER BY i"
    assert xlsx.write_query(db, select, None, path, sheet="a_name_longer_than_excel_allows_it", tz="UTC") == 7
    book = read(path)
    assert book.sheetnames == ["a_name_longer_than_excel_allows", "a_name_longer_than_excel_ (2)",
                               "a_name_longer_than_excel_ (3)", "a_name_longer_than_excel_ (4)", "about"]
    got = []
    for sheet in book.worksheets[:4]:
        rows = [[c.value for c in row] for row in sheet.iter_rows()]
        assert rows[0] == ["i", "label"] and sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:B{len(rows)}"
        got += rows[1:]
    assert got == [[i, f"r{i}"] for i in range(1, 8)]
    assert book["about"]["B1"].value == 7
    with zipfile.ZipFile(path) as z:  # Excel's hidden name for each autofilter, with its range
        workbook = z.read("xl/workbook.xml").decode()
    assert "'a_name_longer_than_excel_ (4)'!$A$1:$B$2</definedName>" in workbook
    assert workbook.count("_xlnm._FilterDatabase") == 4
    # openpyxl's read-only mode sizes each sheet by its <dimension>
    fast = openpyxl.load_workbook(path, read_only=True)
    assert [s.max_row for s in fast.worksheets[:4]] == [3, 3, 3, 2]
    fast.close()


def test_no_rows_give_the_header_alone(db, tmp_path):
    path = tmp_path / "t.xlsx"
    assert xlsx.write_query(db, "SELECT 1 AS a, 'x' AS b WHERE false", None, path, sheet="t", tz="UTC") == 0
    book = read(path)
    assert [[c.value for c in r] for r in book["t"].iter_rows()] == [["a", "b"]]
    assert book["about"]["B1"].value == 0


def test_a_valid_zip_with_the_same_bytes_each_time(db, tmp_path):
    first, second = tmp_path / "1.xlsx", tmp_path / "2.xlsx"
    xlsx.write_query(db, ROWS_SQL, None, first, sheet="t", tz="UTC")
    xlsx.write_query(db, ROWS_SQL, None, second, sheet="t", tz="UTC")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as z:
        assert z.testzip() is None
        assert {"[Content_Types].xml", "xl/workbook.xml", "xl/styles.xml", "xl/worksheets/sheet1.xml",
                "xl/worksheets/sheet2.xml", "docProps/core.xml"} <= set(z.namelist())
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in z.infolist())
        core = z.read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z" in core and "<dc:title>t</dc:title>" in core
    assert read(first).properties.created == datetime(2000, 1, 1)


def test_a_cursor_and_a_statement_name_are_sources_too(db, tmp_path):
    path = tmp_path / "c.xlsx"
    cursor = db.execute("SELECT CAST(12.5 AS DECIMAL(18,2)) AS x, DATE '2025-01-02' AS d")
    assert xlsx.write_rows(cursor, path, sheet="c", tz="UTC") == 1
    sheet = read(path)["c"]
    assert sheet["A2"].value == 12.5 and sheet["B2"].value == datetime.combine(date(2025, 1, 2), datetime.min.time())
    assert xlsx._is_statement_name("report/affected_users") and not xlsx._is_statement_name("SELECT 1 AS a/b")


def test_a_failing_query_leaves_no_file(db, tmp_path):
    path = tmp_path / "t.xlsx"
    with pytest.raises(Exception):
        xlsx.write_query(db, "SELECT CAST('x' AS INTEGER) AS n FROM range(3)", None, path, sheet="t", tz="UTC")
    assert list(tmp_path.iterdir()) == []


def test_small_deflate_pieces_and_batches_read_back_the_same(db, tmp_path, monkeypatch):
    whole = tmp_path / "whole.xlsx"
    xlsx.write_query(db, ROWS_SQL, None, whole, sheet="t", tz="UTC")
    monkeypatch.setattr(xlsx, "CHUNK", 5)
    monkeypatch.setattr(xlsx, "BATCH", 1)
    pieces = tmp_path / "pieces.xlsx"
    xlsx.write_query(db, ROWS_SQL, None, pieces, sheet="t", tz="UTC")

    def cells(path: Path) -> list[list[object]]:
        return [[c.value for c in row] for s in read(path).worksheets for row in s.iter_rows()]

    assert cells(pieces) == cells(whole) and len(cells(whole)) == 4 + 3
    with zipfile.ZipFile(pieces) as z:
        assert z.testzip() is None
