"""`--where` is a small filter language read with `ast`, never Python run on the table (issue 16).

The expressions that ran code on main (`DataFrame.eval(..., engine="python")`) are refused with
one line and create nothing; the language itself is checked on the hand-built fixture of
tests/data/analysis, all 12 segments (interviewer turns included: `apply_where` alone):

    row  segment             interviewer  n_words  country  role      gender  text
    1    it_lawyer_01-000    yes          5        Italy    lawyer    F       What strategies ...
    2    it_lawyer_01-001                 8        Italy    lawyer    F       ... we lobby ministers.
    3    it_lawyer_01-002                 5        Italy    lawyer    F
    4    it_lawyer_01-003                 4        Italy    lawyer    F
    5    it_lawyer_01-004                 4        Italy    lawyer    F       We will lobby again.
    6    it_activist_02-000  yes          5        Italy    activist  M
    7    it_activist_02-001               6        Italy    activist  M       ... and lobby the council.
    8    it_activist_02-002               5        Italy    activist  M
    9    es_official_03-000               8        Spain    official  F       We lobby for funds ...
    10   es_official_03-001               4        Spain    official  F
    11   es_unknown_04-000                5        Spain    (missing) M
    12   es_unknown_04-001                5        Spain    (missing) M
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import run_cli
from qualcode import models as m
from qualcode.analysis.filters import apply_where
from qualcode.errors import AnalysisError

DATA = Path(__file__).parent / "data" / "analysis"
ORDER = [("dilemma", None), ("humanitarianism", "dilemma"), ("lobbying", None)]


@pytest.fixture(scope="module")
def segments() -> pd.DataFrame:
    return pd.read_csv(DATA / "segments.csv")


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    """The fixture tables as an output folder of `qualcode code`."""
    folder = tmp_path_factory.mktemp("out")
    pd.read_csv(DATA / "segments.csv").to_parquet(folder / f"{m.SEGMENTS_FILE}.parquet")
    pd.read_csv(DATA / "codings.csv").to_parquet(folder / f"{m.CODINGS_FILE}.parquet")
    overrides = pd.DataFrame({c: pd.Series(dtype=object) for c in m.OVERRIDE_COLUMNS})
    overrides.to_parquet(folder / f"{m.OVERRIDES_FILE}.parquet")
    codes = [{"name": code, "parent": parent} for code, parent in ORDER]
    (folder / m.MANIFEST_FILE).write_text(json.dumps({"codes": codes}), encoding="utf-8")
    return folder


# --- what the language keeps ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "rows"),
    [
        ("country == 'Spain'", 4),  # rows 9-12
        ('role == "lawyer"', 5),  # rows 1-5
        ("country == 'Italy' and role != 'lawyer'", 3),  # rows 6-8
        ("n_words > 5", 3),  # rows 2 (8), 7 (6), 9 (8)
        ("4 < n_words <= 5", 6),  # the 5-word rows 1, 3, 6, 8, 11, 12
        ("n_words == -5", 0),  # a negative number is a value
        ("role in ['lawyer', 'official']", 7),  # 5 + 2
        ("role not in ('lawyer',)", 5),  # activist 3 + official 2; a missing role matches nothing
        ("not role in ['lawyer']", 5),  # ... not even the negation
        ("role != 'lawyer'", 5),  # ... nor !=
        ("'lobby' in text", 4),  # rows 2, 5, 7, 9
        ("'lobby' not in text", 8),  # 12 - 4
        ("is_interviewer", 2),  # rows 1, 6
        ("not is_interviewer", 10),
        ("is_interviewer == False and gender == 'M'", 4),  # rows 7, 8, 11, 12
        # F: rows 1-5, 9, 10; Spain with 5+ words adds 11 and 12
        ("`gender` == 'F' or (country == 'Spain' and n_words >= 5)", 9),
        ("start < end", 12),  # two columns
    ],
)
def test_the_where_language_keeps_the_rows_counted_by_hand(segments, where, rows):
    assert len(apply_where(segments, where)) == rows


def test_a_backtick_quoted_column_name_may_hold_spaces():
    frame = pd.DataFrame({"age group": ["18-25", "26-40", None], "n": [1, 2, 3]})
    assert apply_where(frame, "`age group` == '26-40'")["n"].tolist() == [2]


def test_where_names_only_its_columns_so_the_text_is_read_only_when_named():
    from qualcode.analysis.where import parse_where

    assert parse_where("'court' in text and `role` == 'x'").columns == (m.TEXT, m.ROLE)
    assert parse_where("country == 'text'").columns == (m.COUNTRY,)


# --- what it refuses: issue 16's reproductions and the like ---------------------------------------

INJECTIONS = [
    (
        "country.__class__.__init__.__globals__['sys'].modules['os'].system('touch {p}') == 0",
        "function and method calls: not in the language",
    ),
    ("@pd.io.common.os.system('touch {p}') == 0", "'@' (local variables) is not part of"),
    ("country.to_csv('{p}') == 0", "function and method calls: not in the language"),
    ("__import__('os').system('touch {p}') == 0", "function and method calls"),
    ("country.str.len() > 0 or '{p}' in text", "function and method calls"),
    ("country[0] == 'I'", "subscripts ('[...]' after a name): not in the language"),
    ("country.size > 0", "attribute access ('.'): not in the language"),
    ("n_words ** 99999999 > 0", "arithmetic: not in the language"),
    ("(lambda: 1)() == 1", "function and method calls"),
    ("[c for c in country] == []", "ListComp: not in the language"),
    ("country if n_words else role", "IfExp: not in the language"),
    ("country == None", "values are 'quoted strings', numbers, True or False"),
    ("country is 'Italy'", "'is' (use == or !=): not in the language"),
]


@pytest.mark.parametrize(("where", "message"), INJECTIONS)
def test_where_that_ran_python_is_refused_and_runs_nothing(
    segments, tmp_path, monkeypatch, where, message
):
    monkeypatch.chdir(tmp_path)
    sentinel = tmp_path / "pwned"
    with pytest.raises(AnalysisError, match="^where expression") as caught:
        apply_where(segments, where.format(p=sentinel))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert not sentinel.exists() and not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("text.astype('int64') > 0", "function and method calls"),  # quoted the text on main
        ("text > 3", "cannot compare column 'text' (text) with a number; quote the value"),
        ("n_words == 'five'", "column 'n_words' (numbers) with a quoted string; write the number"),
        ("n_words", "column 'n_words' (numbers) is not a condition"),
        ("country in text", "'in' takes a column and a list"),
        ("1 == 1", "compares two values; one side must be a column"),
        ("n_words >", "cannot read it; the language has comparisons"),
        ("not " * 120 + "is_interviewer", "nested too deeply (more than 100 levels)"),
        ("`country == 'x'", "a `quoted` column name is not closed"),
    ],
)
def test_where_errors_are_one_line_and_never_quote_the_tables_values(segments, where, message):
    with pytest.raises(AnalysisError) as caught:
        apply_where(segments, where)
    text = str(caught.value)
    assert message in text and "\n" not in text
    for value in segments[m.TEXT]:
        assert value not in text


def test_an_unknown_column_is_named_with_the_columns(segments):
    with pytest.raises(AnalysisError) as caught:
        apply_where(segments, "colour == 'red' and country == 'Italy' or mood > 2")
    assert str(caught.value).startswith(
        "unknown column(s) colour, mood in where expression \"colour == 'red' and country == "
        "'Italy' or mood > 2\"; columns: segment_id, transcript_id, unit, segment_index, speaker,"
    )


# --- every command that takes --where ------------------------------------------------------------

COMMANDS = [
    ["freq"],
    ["matrix"],
    ["cooccur"],
    ["quotes", "--code", "dilemma"],
    ["plot", "freq", "-o", "{tmp}/figure.svg"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize(("where", "message"), INJECTIONS[:3])
def test_every_command_refuses_a_where_that_ran_python(
    out, tmp_path, monkeypatch, command, where, message
):
    monkeypatch.chdir(tmp_path)
    sentinel = tmp_path / "pwned"
    args = [a.format(tmp=tmp_path) for a in command]
    result = run_cli([*args, "--from", str(out), "--where", where.format(p=sentinel)])
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("error: where expression") and message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not list(tmp_path.iterdir())  # no sentinel, no figure


def test_the_readme_where_example_still_filters(out):
    # rows 9-12 are Spain; the interviewer turns (none in Spain) are left out anyway
    result = run_cli(["freq", "--from", str(out), "--where", "country == 'Spain'", "-f", "csv"])
    assert result.exit_code == 0, result.stderr
    assert "n_segments,4" in result.stdout.splitlines()
