"""`qualcode freq | matrix | cooccur | quotes` and the table writers behind -o.

The commands run through the real entry point `qualcode.cli.main` (under CliRunner's isolated
stdout/stderr), so errors are turned into one red line and an exit code as a user sees them.
The output folder is the hand-built fixture of tests/data/analysis written as `qualcode code`
writes it; expected numbers are the hand counts explained in tests/test_analysis.py.
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from qualcode import models as m
from qualcode.exchange.tabular import markdown_table, quotes_markdown, write_tables

DATA = Path(__file__).parent / "data" / "analysis"
ORDER = [
    ("dilemma", None),
    ("humanitarianism", "dilemma"),
    ("equity", "dilemma"),
    ("dimension", None),
    ("sustainability", "dimension"),
    ("entitlement", "dimension"),
    ("strategy", None),
    ("lobbying", "strategy"),
    ("advocacy", "strategy"),
    ("litigation", "strategy"),
]


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


def run(*args: str) -> Run:
    """`qualcode ARGS` through qualcode.cli.main, as a user runs it."""
    from qualcode.cli import main
    from qualcode.cli.render import console

    runner = CliRunner()
    code = 0
    old_argv, old_width = sys.argv, console.width
    console.width = 200  # wide enough that no header is cut
    with runner.isolation() as (out, err, _):
        sys.argv = ["qualcode", *args]
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            sys.argv = old_argv
            console.width = old_width
        stdout = out.getvalue().decode("utf-8")
        stderr = err.getvalue().decode("utf-8") if err is not None else ""
    return Run(code, stdout, stderr)


@pytest.fixture(scope="module")
def coded(tmp_path_factory) -> Path:
    """An output folder of `qualcode code` holding the fixture tables."""
    folder = tmp_path_factory.mktemp("out")
    pd.read_csv(DATA / "segments.csv").to_parquet(folder / f"{m.SEGMENTS_FILE}.parquet")
    pd.read_csv(DATA / "codings.csv").to_parquet(folder / f"{m.CODINGS_FILE}.parquet")
    overrides = pd.DataFrame({c: pd.Series(dtype=object) for c in m.OVERRIDE_COLUMNS})
    overrides.to_parquet(folder / f"{m.OVERRIDES_FILE}.parquet")
    codes = [{"name": code, "parent": parent} for code, parent in ORDER]
    (folder / m.MANIFEST_FILE).write_text(json.dumps({"codes": codes}), encoding="utf-8")
    return folder


def ok(result: Run) -> Run:
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


# --- terminal output -----------------------------------------------------------------------------


def _cells(out: str) -> dict[str, list[str]]:
    """Rows of a printed rich table: first cell -> the other cells, stripped."""
    rows = (line.split("│")[1:-1] for line in out.splitlines() if line.count("│") > 2)
    return {cells[0].strip(): [c.strip() for c in cells[1:]] for cells in rows}


def test_freq_prints_counts_and_denominators(coded):
    out = ok(run("freq", "--from", str(coded), "--by", "country")).stdout
    assert "Italy" in out and "Spain" in out and "Total" in out
    cells = _cells(out)
    assert cells["lobbying"] == ["3", "1", "4"]
    assert cells["n_segments"] == ["6", "4", "10"]
    assert cells["n_words"] == ["32", "22", "54"]


def test_freq_percent_prints_one_decimal(coded):
    out = ok(run("freq", "--from", str(coded), "--by", "country", "--percent")).stdout
    assert _cells(out)["dilemma"] == ["16.7", "50.0", "30.0"]  # 1/6, 2/4, 3/10


def test_quotes_print_text_and_attribution(coded):
    out = ok(run("quotes", "--from", str(coded), "--code", "humanitarianism")).stdout
    assert "es_unknown_04, P, Spain  humanitarianism (auto)" in out
    assert "Charity is a humanitarian duty." in out
    assert "2 quote(s)" in out


@pytest.mark.parametrize("command", ["freq", "matrix", "cooccur", "quotes"])
def test_every_command_has_help_with_an_example(command):
    result = ok(run(command, "--help"))
    assert "Example: qualcode " + command in " ".join(result.stdout.split())


# --- files: every command x every format --------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "md", "json"])
@pytest.mark.parametrize(
    ("args", "files"),
    [
        (["freq", "--by", "country"], ["{stem}-frequencies", "{stem}-denominators"]),
        (["matrix", "--binary"], ["{stem}"]),
        (["cooccur", "--measure", "jaccard"], ["{stem}"]),
        (["quotes", "--code", "lobbying"], ["{stem}"]),
    ],
)
def test_every_command_writes_every_format(coded, tmp_path, args, files, fmt):
    target = tmp_path / f"result.{fmt}"
    result = ok(run(*args, "--from", str(coded), "-o", str(target)))
    several = len(files) > 1 and fmt in ("csv", "parquet")
    expected = (
        [tmp_path / f"{f.format(stem='result')}.{fmt}" for f in files] if several else [target]
    )
    assert sorted(tmp_path.iterdir()) == sorted(expected)
    assert all(f"wrote {p}" in result.stderr for p in expected)
    again = {p: p.read_bytes() for p in expected}
    ok(run(*args, "--from", str(coded), "-o", str(target)))
    assert {p: p.read_bytes() for p in expected} == again  # byte-identical re-run


def test_freq_csv_holds_flattened_headers_and_denominators(coded, tmp_path):
    ok(
        run(
            "freq",
            "--from",
            str(coded),
            "--by",
            "country",
            "--by",
            "role",
            "-o",
            str(tmp_path / "f.csv"),
        )
    )
    table = (tmp_path / "f-frequencies.csv").read_text(encoding="utf-8").splitlines()
    assert (
        table[0] == "code,Italy / activist,Italy / lawyer,Spain / official,Spain / (missing),Total"
    )
    assert "litigation,0,1,1,1,3" in table
    denominators = (tmp_path / "f-denominators.csv").read_text(encoding="utf-8").splitlines()
    assert denominators[1:] == [
        "n_segments,2,4,2,2,10",
        "n_cases,1,1,1,1,4",
        "n_words,11,21,12,10,54",
    ]


def test_freq_xlsx_has_two_sheets_with_styled_headers(coded, tmp_path):
    from openpyxl import load_workbook

    target = tmp_path / "freq.xlsx"
    ok(run("freq", "--from", str(coded), "--by", "country", "-o", str(target)))
    book = load_workbook(target)
    assert book.sheetnames == ["frequencies", "denominators"]
    sheet = book["frequencies"]
    assert [c.value for c in sheet[1]] == ["code", "Italy", "Spain", "Total"]
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "B2"
    assert [c.value for c in sheet[9]] == ["lobbying", 3, 1, 4]
    assert sheet.column_dimensions["A"].width >= len("humanitarianism")
    assert [c.value for c in book["denominators"][2]] == ["n_segments", 6, 4, 10]


def test_matrix_long_parquet_round_trips(coded, tmp_path):
    target = tmp_path / "m.parquet"
    ok(run("matrix", "--from", str(coded), "--words", "--long", "-o", str(target)))
    tidy = pd.read_parquet(target)
    assert list(tidy.columns) == [m.TRANSCRIPT_ID, m.CODE, "value"]
    lawyer = tidy[tidy[m.TRANSCRIPT_ID] == "it_lawyer_01"]
    assert lawyer["value"].tolist() == [5, 5, 4, 0, 12, 8, 8]


def test_matrix_rows_json_records(coded, tmp_path):
    target = tmp_path / "m.json"
    ok(
        run(
            "matrix",
            "--from",
            str(coded),
            "--rows",
            "role",
            "--code",
            "strategy",
            "-o",
            str(target),
        )
    )
    records = json.loads(target.read_text(encoding="utf-8"))
    assert records[0] == {"role": "activist", "lobbying": 1, "advocacy": 1, "litigation": 0}
    assert [r["role"] for r in records] == ["activist", "lawyer", "official", "(missing)"]


def test_cooccur_md_is_a_pipe_table(coded, tmp_path):
    target = tmp_path / "c.md"
    ok(run("cooccur", "--from", str(coded), "--code", "strategy", "-o", str(target)))
    assert target.read_text(encoding="utf-8") == (
        "| code       | lobbying | advocacy | litigation |\n"
        "| ---------- | -------: | -------: | ---------: |\n"
        "| lobbying   |        4 |        2 |          2 |\n"
        "| advocacy   |        2 |        3 |          2 |\n"
        "| litigation |        2 |        2 |          3 |\n"
    )


def test_quotes_md_are_blockquotes_with_attribution(coded):
    result = ok(
        run(
            "quotes",
            "--from",
            str(coded),
            "--code",
            "litigation",
            "--by",
            "country",
            "--limit",
            "1",
            "--format",
            "md",
        )
    )
    assert result.stdout == (
        "## Italy\n\n"
        "> We go to **court** and we lobby ministers.\n>\n> — it_lawyer_01, P, Italy, lawyer\n\n"
        "## Spain\n\n"
        "> We lobby for funds and **sue** when needed.\n>\n> — es_official_03, P, Spain, official\n"
    )


def test_quotes_csv_holds_highlight_offsets(coded, tmp_path):
    target = tmp_path / "q.csv"
    ok(run("quotes", "--from", str(coded), "--code", "humanitarianism", "-o", str(target)))
    quotes = pd.read_csv(target)
    assert quotes[m.SEGMENT_ID].tolist() == ["es_unknown_04-000", "it_lawyer_01-002"]
    assert quotes["highlights"].tolist() == ["0-7;13-25", "25-32"]


@pytest.mark.parametrize(
    ("args", "expected_total"),
    [
        (["--source", "auto"], 2),  # dilemma without ben's coding on the parent
        (["--coder", "ben"], 1),
        (["--where", "country == 'Spain'"], 2),
        (["--include-interviewer", "--coder", "ana"], 1),
    ],
)
def test_freq_filters_reach_the_library(coded, args, expected_total):
    out = ok(
        run("freq", "--from", str(coded), "--code", "dilemma", "--format", "csv", *args)
    ).stdout
    assert f"dilemma,{expected_total}" in out.splitlines()


def test_freq_csv_to_terminal_names_each_table(coded):
    out = ok(run("freq", "--from", str(coded), "--format", "csv")).stdout
    assert out.startswith("# frequencies\ncode,Total\ndilemma,3\n")
    assert "# denominators\ndenominator,Total\nn_segments,10\nn_cases,4\nn_words,54\n" in out


# --- bad input: exit code 2, one line, no traceback ----------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["freq", "--from", "{missing}"], "output folder not found"),
        (["freq", "--by", "colour"], "unknown by column(s) colour"),
        (["matrix", "--rows", "colour"], "unknown rows column(s) colour"),
        (["freq", "--where", "n_words >"], "where expression 'n_words >': cannot read it"),
        (["cooccur", "--where", "colour == 'red'"], "unknown column(s) colour in where"),
        (["freq", "--code", "lobying"], "unknown code(s) lobying; known codes: dilemma"),
        (["quotes", "--code", "lobying"], "unknown code(s) lobying"),
        (["matrix", "--coder", "zoe"], "unknown coder(s) zoe"),
        (["matrix", "--binary", "--words"], "use --binary or --words, not both"),
        (["freq", "--format", "xlsx"], "--format xlsx writes a binary file"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(coded, tmp_path, args, message):
    args = [a.format(missing=tmp_path / "nope") for a in args]
    if "--from" not in args:
        args += ["--from", str(coded)]
    result = run(*args)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert message in " ".join(result.stderr.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["freq", "--count", "pages"], "Invalid value for '--count'"),
        (["cooccur", "--within", "page"], "Invalid value for '--within'"),
        (["quotes"], "Missing option '--code'"),
    ],
)
def test_usage_errors_exit_2_without_traceback(coded, args, message):
    result = run(*args, "--from", str(coded))
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert message in result.stderr


# --- the table writers ---------------------------------------------------------------------------


def _frame() -> pd.DataFrame:
    columns = pd.MultiIndex.from_tuples(
        [("Italy", "lawyer"), ("Spain", "(missing)"), ("Total", "")], names=["country", "role"]
    )
    frame = pd.DataFrame([[1, 0, 1], [2, 5, 7]], index=["a|b", "c"], columns=columns)
    frame.index.name = "code"
    return frame


def test_csv_flattens_multiindex_headers(tmp_path):
    [path] = write_tables({"t": _frame()}, tmp_path / "t.csv")
    assert (
        path.read_text(encoding="utf-8")
        == "code,Italy / lawyer,Spain / (missing),Total\na|b,1,0,1\nc,2,5,7\n"
    )


def test_markdown_table_escapes_pipes_and_aligns_numbers():
    assert markdown_table(_frame()) == (
        "| code | Italy / lawyer | Spain / (missing) | Total |\n"
        "| ---- | -------------: | ----------------: | ----: |\n"
        "| a\\|b |              1 |                 0 |     1 |\n"
        "| c    |              2 |                 5 |     7 |\n"
    )


def test_json_of_several_tables_is_keyed_by_name(tmp_path):
    [path] = write_tables({"one": _frame(), "two": _frame().head(1)}, tmp_path / "t.json")
    document = json.loads(path.read_text(encoding="utf-8"))
    assert list(document) == ["one", "two"]
    assert document["two"] == [
        {"code": "a|b", "Italy / lawyer": 1, "Spain / (missing)": 0, "Total": 1}
    ]


def test_xlsx_is_byte_stable_with_pinned_times(tmp_path):
    first = write_tables({"t": _frame()}, tmp_path / "a.xlsx")[0].read_bytes()
    second = write_tables({"t": _frame()}, tmp_path / "b.xlsx")[0].read_bytes()
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2000, 1, 1, 0, 0, 0)}
        assert b"2000-01-01T00:00:00Z" in archive.read("docProps/core.xml")


def test_unsupported_format_is_an_export_error(tmp_path):
    from qualcode.errors import ExportError

    with pytest.raises(ExportError, match="unsupported format 'docx'"):
        write_tables({"t": _frame()}, tmp_path / "t.docx", "docx")


def test_quotes_markdown_skips_missing_attribution_parts():
    quotes = pd.DataFrame(
        {
            m.TRANSCRIPT_ID: ["es_unknown_04"],
            m.SPEAKER: ["P"],
            m.COUNTRY: ["Spain"],
            m.ROLE: [None],
            m.TEXT: ["Line one.\nLine two."],
        }
    )
    assert quotes_markdown(quotes) == "> Line one.\n> Line two.\n>\n> — es_unknown_04, P, Spain\n"
