"""Spreadsheet-safe export (issue 16): no CSV or XLSX cell qualcode writes becomes a formula.

On main a turn, metadata value or code name starting with = + - @ was written raw to every CSV
and became a live formula in XLSX. Now a text cell (or header) starting with = + - @, a tab or
a carriage return gets a leading ' in CSV (OWASP), --raw-cells turns that off for CSV, and every
text cell of a workbook is a string cell; numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from conftest import run_cli
from hostile import FORMULA, hostile_corpus
from qualcode.exchange.tabular import tables_text, write_tables


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    transcripts, codebook = hostile_corpus(root)
    result = run_cli(
        ["code", str(transcripts), "--codebook", str(codebook), "--out", str(root / "out"), "-q"]
    )
    assert result.exit_code == 0, result.stderr
    return root / "out"


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_cells_that_start_a_formula_get_a_quote_and_numbers_stay_numbers():
    from qualcode.csvrows import spreadsheet_safe

    frame = pd.DataFrame(
        {
            "=total": ["=1+1", "+39 06 123", "-x", "@SUM(A1)", "\tTAB", "\rCR", "ok", None],
            "count": [-1, 2, 3, -4, 5, 6, 7, 8],  # numbers, negative ones too
            "share": [-0.5, 0.5, None, 1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    safe = spreadsheet_safe(frame)
    assert list(safe.columns) == ["'=total", "count", "share"]
    assert safe["'=total"].tolist()[:7] == [
        "'=1+1",
        "'+39 06 123",
        "'-x",
        "'@SUM(A1)",
        "'\tTAB",
        "'\rCR",
        "ok",
    ]
    assert pd.isna(safe["'=total"].iloc[7])
    assert safe["count"].tolist() == [-1, 2, 3, -4, 5, 6, 7, 8] and safe["count"].dtype == "int64"
    assert safe["share"].iloc[0] == -0.5
    assert frame.iloc[0, 0] == "=1+1"  # the caller's frame is left alone
    plain = pd.DataFrame({"code": ["litigation"], "n": [-3]})
    assert spreadsheet_safe(plain) is plain  # nothing to change: no copy


def test_the_output_folders_csv_files_are_safe_and_parquet_keeps_the_text(out):
    codings = _rows(out / "codings.csv")
    header = codings[0]
    code, role = header.index("code"), header.index("role")
    cells = {c for row in codings[1:] for c in row}
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    assert {row[code] for row in codings[1:]} == {"[/]", "'=cmd"}
    assert f"'{FORMULA}" in {row[role] for row in codings[1:]}
    segments = _rows(out / "segments.csv")
    texts = [row[segments[0].index("text")] for row in segments[1:]]
    assert f"'{FORMULA} We filed a lawsuit against the ministry." in texts
    assert "'-2+3 then [link=http://evil.example]click[/link] lawsuit again." in texts
    assert "'@SUM(1) we went to court with a lawsuit." in texts
    exact = pd.read_parquet(out / "segments.parquet")
    assert f"{FORMULA} We filed a lawsuit against the ministry." in exact["text"].tolist()
    starts = pd.to_numeric(pd.Series([row[segments[0].index("start")] for row in segments[1:]]))
    assert starts.dtype == "int64"  # offsets are still plain numbers


@pytest.mark.parametrize(
    ("extra", "quoted"),
    [([], True), (["--raw-cells"], False)],
)
def test_freq_csv_is_safe_unless_raw_cells(out, tmp_path, extra, quoted):
    target = tmp_path / "freq.csv"
    result = run_cli(["freq", "--from", str(out), "--by", "role", "-o", str(target), *extra])
    assert result.exit_code == 0, result.stderr
    rows = _rows(tmp_path / "freq-frequencies.csv")
    # roles: doctor (it_doctor_02) and the formula (it_lawyer_01); code =cmd only in doctor
    expected_header = ["code", f"'{FORMULA}" if quoted else FORMULA, "doctor", "Total"]
    assert rows[0] == expected_header
    assert rows[2] == ["'=cmd" if quoted else "=cmd", "0", "1", "1"]
    printed = run_cli(["freq", "--from", str(out), "--by", "role", "-f", "csv", *extra])
    assert ("'=HYPERLINK(" in printed.stdout) is quoted  # (csv doubles the inner quotes)


def _cells(path: Path) -> list:
    with zipfile.ZipFile(path) as archive:
        sheets = [archive.read(n).decode() for n in archive.namelist() if "worksheets/" in n]
    assert sheets and not any("<f>" in sheet for sheet in sheets)  # no formula anywhere
    return [c for sheet in load_workbook(path) for row in sheet.iter_rows() for c in row]


def test_an_xlsx_cell_is_never_a_formula(out, tmp_path):
    target = tmp_path / "quotes.xlsx"
    result = run_cli(["quotes", "--from", str(out), "--code", "[/]", "-o", str(target)])
    assert result.exit_code == 0, result.stderr
    texts = {c.value: c for c in _cells(target) if isinstance(c.value, str)}
    risky = texts[f"{FORMULA} We filed a lawsuit against the ministry."]
    assert risky.data_type == "s" and risky.quotePrefix  # shown as text, as if typed with '
    assert texts["@SUM(1) we went to court with a lawsuit."].quotePrefix
    assert texts["[/]"].data_type == "s" and not texts["[/]"].quotePrefix
    target = tmp_path / "freq.xlsx"
    assert run_cli(["freq", "--from", str(out), "--by", "role", "-o", str(target)]).exit_code == 0
    cells = _cells(target)
    header = [c for c in cells if c.value == FORMULA]  # the role, a column header
    assert len(header) == 2 and all(c.data_type == "s" and c.quotePrefix for c in header)
    numbers = [c.value for c in cells if c.data_type == "n"]
    # frequencies by role (formula, doctor, Total): [/] 2 1 3 and =cmd 0 1 1; denominators:
    # segments 2 1 3, cases 1 1 2, then the three word counts
    assert numbers[:12] == [2, 1, 3, 0, 1, 1, 2, 1, 3, 1, 1, 2] and len(numbers) == 15


def test_write_tables_xlsx_keeps_negative_numbers_and_quotes_headers(tmp_path):
    frame = pd.DataFrame({"=h": ["-text", "plain"], "n": [-1, 2]})
    write_tables({"t": frame}, tmp_path / "t.xlsx", raw_cells=True)  # raw: CSV only
    rows = [
        [(c.value, c.data_type, bool(c.quotePrefix)) for c in r]
        for r in load_workbook(tmp_path / "t.xlsx").active.iter_rows()
    ]
    assert rows == [
        [("=h", "s", True), ("n", "s", False)],
        [("-text", "s", True), (-1, "n", False)],
        [("plain", "s", False), (2, "n", False)],
    ]
    assert tables_text({"t": frame}, "csv") == "'=h,n\n'-text,-1\nplain,2\n"
    assert tables_text({"t": frame}, "csv", raw_cells=True) == "=h,n\n-text,-1\nplain,2\n"
