"""Decisions survive transcript edits: anchors recorded, decisions re-attached, nothing moved on
a guess (qualcode.decisions.reattach).

The corpus is one hand-written interview, coded by turns; anna's decisions are recorded with
`qualcode override` against that run, then the transcript is edited (or coded with another
unit) and coded again. Its segments by turn:

    T0  INT  "Did you go to court?"
    T1  P    "We filed a lawsuit ..." + blank line + "We also held a press conference ..."
             (two paragraphs; auto: litigation, advocacy)
    T2  INT  "And the clinic?"
    T3  P    CLINIC (129 characters; no automatic code)

CLINIC's quote is its first 80 characters, "The clinic stayed open for people without papers all
winter long, and the volunt".
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import run_cli, write
from qualcode import models as m
from qualcode.decisions.files import read_overrides
from qualcode.decisions.ledger import Decision
from qualcode.decisions.reattach import Passage, place_decisions
from qualcode.output.folder import load_output
from qualcode.reliability.units import coders_from_output

CODEBOOK = """
name: reattach
version: "1"
codes:
  - name: litigation
    definition: Going to court.
    patterns:
      en: ["file * lawsuit"]
  - name: advocacy
    definition: Public pressure.
    patterns:
      en: [press conference]
  - name: care
    definition: Keeping care going (coded by hand only).
    manual: true
"""
LAWSUIT = "We filed a lawsuit against the region in the spring of that year."
PRESS = "We also held a press conference with two other clinics."
CLINIC = (
    "The clinic stayed open for people without papers all winter long, and the volunteers "
    "kept the pharmacy stocked every single week."
)


def transcript(*turns: str) -> str:
    """An interview: the lawsuit turn, then `turns` (each a respondent turn after a question)."""
    body = f"INT: Did you go to court?\nP: {LAWSUIT}\n\n{PRESS}\n"
    for turn in turns:
        body += f"INT: And the clinic?\nP: {turn}\n"
    return f"---\nlanguage: en\ncountry: Italy\nrole: doctor\n---\n{body}"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with the codebook and the first version of the interview, coded by turns
    into out1/; the working directory (so no project file of the repository applies)."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "book.yaml", CODEBOOK)
    write(tmp_path / "corpus" / "en_one.md", transcript(CLINIC))
    assert code(tmp_path, "out1", "--no-overrides")["transcripts"] == 1
    return tmp_path


def code(folder: Path, out: str, *extra: str) -> dict:
    """`qualcode code` of folder/corpus with folder/decisions; returns the JSON summary."""
    decisions = ["--overrides", str(folder / "decisions")]
    if "--no-overrides" in extra:
        decisions = []
    args = ["code", str(folder / "corpus"), "--codebook", str(folder / "book.yaml")]
    args += ["--out", str(folder / out), "--no-meta", "--json", *decisions]
    if "--unit" not in extra:
        args += ["--unit", "turn"]
    result = run_cli([*args, *extra])
    assert result.exit_code == 0, result.stderr + result.stdout
    return json.loads(result.stdout)


def decide(folder: Path, action: str, segment: str, code_name: str) -> None:
    """anna records a decision with `qualcode override`, checked against out1/."""
    args = ["override", action, segment, code_name, "--coder", "anna"]
    result = run_cli([*args, "--from", str(folder / "out1"), "--dir", str(folder / "decisions")])
    assert result.exit_code == 0, result.stderr + result.stdout


def segment_id(folder: Path, out: str, starts: str) -> str:
    """The id of the one segment of out/ whose text starts with `starts`."""
    segments = pd.read_parquet(folder / out / "segments.parquet")
    found = segments[segments[m.TEXT].str.startswith(starts)]
    assert len(found) == 1, (starts, list(segments[m.TEXT]))
    return str(found[m.SEGMENT_ID].iloc[0])


def overrides(folder: Path, out: str) -> list[dict]:
    frame = pd.read_parquet(folder / out / "overrides.parquet")
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def codings(folder: Path, out: str) -> set[tuple[str, str, str]]:
    frame = pd.read_parquet(folder / out / "codings.parquet")
    return set(zip(frame[m.SEGMENT_ID], frame[m.CODE], frame[m.CODER], strict=True))


def test_a_decision_records_its_segments_span_quote_and_text_hash(project: Path) -> None:
    decide(project, "add", segment_id(project, "out1", "The clinic"), "care")
    row = read_overrides([project / "decisions"]).iloc[0]
    # The body starts after the front matter; T3 starts after "P: " on its line. Its text is
    # CLINIC, so end - start = 129; the quote is its first 80 characters.
    text = pd.read_parquet(project / "out1" / "transcripts.parquet")[m.TEXT].iloc[0]
    start, end = int(row[m.START]), int(row[m.END])
    assert (end - start, text[start:end]) == (129, CLINIC)
    assert row[m.QUOTE] == CLINIC[:80]
    assert len(row[m.TEXT_HASH]) == 16  # hex digits of the canonical text's SHA-256


# Same unit, T3 edited. The quote is CLINIC[:80] ("... all winter long, and the volunt").
EDITS = [
    # One word after the quote: the new T3 still holds the quote exactly.
    ("one word after the quote", [CLINIC.replace("week", "day")], "quote", "every single day"),
    # One word inside the quote, winter -> summer: no segment holds the quote; the new T3
    # (129 characters, longer than the quote) is compared by partial_ratio, whose best window
    # is its first 80 characters: they differ from the quote by winter/summer, whose longest
    # common subsequence is "er", so 4 deletions + 4 insertions = 8 edits in 80 + 80
    # characters: 100 * (1 - 8/160) = 95 >= 90. The other segments score far lower (T1, the
    # next best, shares only scattered letters), so 95 leads by more than 5 points.
    ("one word inside the quote", [CLINIC.replace("winter", "summer")], "fuzzy 95", "all summer"),
]


@pytest.mark.parametrize(("case", "turns", "how", "new_text"), EDITS, ids=[e[0] for e in EDITS])
def test_an_edited_turn_takes_its_decisions_along(
    project: Path, case: str, turns: list[str], how: str, new_text: str
) -> None:
    old = segment_id(project, "out1", "The clinic")
    decide(project, "add", old, "care")
    write(project / "corpus" / "en_one.md", transcript(*turns))
    summary = code(project, "out2")
    new = segment_id(project, "out2", "The clinic")
    assert new != old and new_text in turns[0]  # the edit gave the turn a new id
    [row] = overrides(project, "out2")
    assert (row[m.STATUS], row[m.SEGMENT_ID], row[m.REATTACHED_TO]) == ("reattached", old, new)
    assert row[m.REATTACHED_BY] == how
    assert (new, "care", "anna") in codings(project, "out2")  # applied like an applied one
    assert summary["overrides"] == {"reattached": 1}
    assert summary["warnings"][0].startswith("1 decision(s) re-attached after transcript edits")


# Same unit, T3 edited so that no segment, or more than one, can be told to be its successor.
ORPHANS = [
    # The quoted text is gone: no segment holds the quote, and the best fuzzy score (the new
    # T3 shares "The clinic" and little else) is far below 90.
    (
        "quoted text removed",
        ["We had to close the clinic in March, when the regional funding finally ran out."],
        "no segment holds its quote",
    ),
    # The turn is edited and repeated: both copies hold the quote exactly -> ambiguous.
    (
        "two identical turns",
        [CLINIC.replace("week", "day")] * 2,
        "its quote is in 2 segments (ambiguous)",
    ),
]


@pytest.mark.parametrize(("case", "turns", "why"), ORPHANS, ids=[o[0] for o in ORPHANS])
def test_a_decision_that_cannot_be_placed_for_sure_stays_an_orphan(
    project: Path, case: str, turns: list[str], why: str
) -> None:
    old = segment_id(project, "out1", "The clinic")
    decide(project, "add", old, "care")
    write(project / "corpus" / "en_one.md", transcript(*turns))
    summary = code(project, "out2")
    [row] = overrides(project, "out2")
    assert (row[m.STATUS], row[m.REATTACHED_TO]) == ("orphan_segment", None)
    assert not any(c == "care" for _, c, _ in codings(project, "out2"))
    [warning] = [w for w in summary["warnings"] if "no longer exists" in w]
    assert warning.endswith(f"{why}, so it was not re-attached")
    assert "The clinic" not in warning  # messages never quote transcript text


def _turn_decisions(project: Path) -> tuple[str, str]:
    """anna, on the turns of out1: add care to T1 and T3, remove advocacy from T1."""
    t1 = segment_id(project, "out1", "We filed")
    t3 = segment_id(project, "out1", "The clinic")
    decide(project, "add", t1, "care")
    decide(project, "remove", t1, "advocacy")
    decide(project, "add", t3, "care")
    return t1, t3


def test_turn_decisions_map_onto_the_paragraphs_they_cover(project: Path) -> None:
    _turn_decisions(project)
    summary = code(project, "out2", "--unit", "paragraph")
    p_lawsuit = segment_id(project, "out2", "We filed")
    p_press = segment_id(project, "out2", "We also held")
    p_clinic = segment_id(project, "out2", "The clinic")
    rows = overrides(project, "out2")
    # T1 covers its two paragraphs; T3 is one paragraph, the same span as the turn.
    assert [r[m.REATTACHED_TO] for r in rows] == [
        f"{p_lawsuit};{p_press}",
        f"{p_lawsuit};{p_press}",
        p_clinic,
    ]
    assert {r[m.STATUS] for r in rows} == {"reattached"}
    assert {r[m.REATTACHED_BY] for r in rows} == {"covering"}  # found by its id among turns
    # The remove withdrew the automatic advocacy of the press paragraph only.
    assert [r[m.REMOVED_AUTO_FROM] for r in rows] == [None, p_press, None]
    assert codings(project, "out2") == {
        (p_lawsuit, "litigation", "auto"),
        (p_lawsuit, "care", "anna"),
        (p_press, "care", "anna"),
        (p_clinic, "care", "anna"),
    }
    assert summary["warnings"][0].startswith("3 decision(s) re-attached")
    # For agreement, the automatic coder is the coding before anyone's remove: the advocacy the
    # re-attached remove withdrew from the press paragraph is still the automatic coder's.
    auto = coders_from_output(load_output(project / "out2"))["auto"].passages
    assert set(zip(auto[m.SEGMENT_ID], auto[m.CODE], strict=True)) == {
        (p_lawsuit, "litigation"),
        (p_press, "advocacy"),
    }


def test_reattach_none_leaves_turn_decisions_orphans_by_paragraph(project: Path) -> None:
    _turn_decisions(project)
    summary = code(project, "out2", "--unit", "paragraph", "--reattach", "none")
    assert [r[m.STATUS] for r in overrides(project, "out2")] == ["orphan_segment"] * 3
    # Only the automatic coding: litigation on the lawsuit paragraph, advocacy on the press one.
    p_lawsuit = segment_id(project, "out2", "We filed")
    p_press = segment_id(project, "out2", "We also held")
    assert codings(project, "out2") == {
        (p_lawsuit, "litigation", "auto"),
        (p_press, "advocacy", "auto"),
    }
    assert summary["overrides"] == {"orphan_segment": 3}


LEGACY_HEADER = "segment_id,code,action,coder,note,timestamp\n"


def test_an_old_decision_file_without_anchors_still_works(project: Path) -> None:
    t1 = segment_id(project, "out1", "We filed")
    t3 = segment_id(project, "out1", "The clinic")
    legacy = project / "decisions" / "anna.csv"
    write(legacy, LEGACY_HEADER + f"{t1},care,add,anna,,2025-01-01T10:00:00Z\n")
    decide(project, "add", t3, "care")  # appended by today's qualcode to the old file
    lines = legacy.read_text(encoding="utf-8").splitlines()
    assert lines[:2] == [LEGACY_HEADER.strip(), f"{t1},care,add,anna,,2025-01-01T10:00:00Z"]
    # The header is never rewritten: the new row carries its anchor as 4 fields after the 6.
    assert len(next(csv.reader([lines[2]]))) == 10
    assert code(project, "out2")["overrides"] == {"applied": 2}
    # By paragraph, the old row has no anchor but its turn is found by its id: it covers the
    # lawsuit and press paragraphs; the new row goes to the clinic paragraph.
    code(project, "out3", "--unit", "paragraph")
    rows = overrides(project, "out3")
    assert (rows[0][m.START], rows[0][m.QUOTE], rows[1][m.QUOTE]) == (None, None, CLINIC[:80])
    assert [r[m.REATTACHED_TO].count(";") + 1 for r in rows] == [2, 1]


def test_an_old_decision_whose_turn_was_edited_stays_an_orphan(project: Path) -> None:
    t3 = segment_id(project, "out1", "The clinic")
    write(project / "decisions" / "anna.csv", LEGACY_HEADER + f"{t3},care,add,anna,,\n")
    write(project / "corpus" / "en_one.md", transcript(CLINIC.replace("week", "day")))
    summary = code(project, "out2")
    assert summary["overrides"] == {"orphan_segment": 1}  # no quote to go by
    [warning] = [w for w in summary["warnings"] if "no longer exists" in w]
    assert warning.endswith("which no longer exists")


def test_a_formula_like_quote_is_written_safely(project: Path) -> None:
    # The turn starts with a spreadsheet formula: in the decision file (and in OUT/overrides.csv)
    # its quote cell gets a leading ', and is read back without it.
    formula = (
        "=cmd|' /C calc'!A0 is what someone typed into the intake form, the nurse told us, twice."
    )
    write(project / "corpus" / "en_one.md", transcript(formula))
    code(project, "out1", "--no-overrides")
    decide(project, "add", segment_id(project, "out1", "=cmd"), "care")
    [raw] = list(csv.DictReader((project / "decisions" / "anna.csv").open(encoding="utf-8")))
    assert raw[m.QUOTE] == "'" + formula[:80]
    assert read_overrides([project / "decisions"])[m.QUOTE].iloc[0] == formula[:80]
    # The quote still places the decision: "twice" is after its 80 characters.
    write(project / "corpus" / "en_one.md", transcript(formula.replace("twice", "again")))
    assert code(project, "out2")["overrides"] == {"reattached": 1}
    [out_row] = list(csv.DictReader((project / "out2" / "overrides.csv").open(encoding="utf-8")))
    assert out_row[m.QUOTE].startswith("'=cmd")


# place_decisions on its own: one decision (turn id "t.x.gone", quote Q) and the candidate
# turns of its transcript. Q is 40 characters.
Q = "the volunteers kept the pharmacy stocked"
PLACES = [
    ("exact and unique", ["so " + Q + " all year", "no"], ("t.t.0",), "quote"),
    ("exact in two segments", [Q + ".", "and " + Q], (), "its quote is in 2 segments (ambiguous)"),
    # "kept" -> "kep": one deletion in 40 + 39 characters: 100 * (1 - 1/79) = 98.7 -> 98.
    ("fuzzy and clear", [Q.replace("kept", "kep"), "unrelated words here"], ("t.t.0",), "fuzzy 98"),
    # Both candidates score 98.7: a tie is within the 5-point margin.
    ("fuzzy but tied", [Q.replace("kept", "kep")] * 2, (), "about equally (ambiguous)"),
    # A candidate shorter than the quote is compared whole: "the pharmacy" scores
    # 100 * 2 * 12 / (40 + 12) = 46, not the 100 partial_ratio would give.
    ("a short segment inside the quote", ["the pharmacy"], (), "no segment holds its quote"),
]


@pytest.mark.parametrize(("case", "texts", "targets", "how"), PLACES, ids=[p[0] for p in PLACES])
def test_placing_a_decision_by_its_quote(
    case: str, texts: list[str], targets: tuple[str, ...], how: str
) -> None:
    passages = [Passage(f"t.t.{i}", i * 100, i * 100 + len(t), t) for i, t in enumerate(texts)]
    decision = Decision(0, "t.t.gone", "care", "anna", "add", None, quote=Q)
    [placement] = place_decisions(
        [decision], passages, unit="turn", current_hash="", passages_in=lambda _: []
    ).values()
    assert placement.targets == targets
    assert how in placement.how


ROW = "s.t.1,care,add,anna,,2025-01-01T10:00:00Z"
BAD_ANCHORS = [
    (f"{ROW},x,9,q,ab\n", "start 'x' and end '9' must be character offsets (or empty)"),
    (f"{ROW},9,3,q,ab\n", "start '9' and end '3' are not a span of text"),
    (f"{ROW},3,,q,ab\n", "start '3' and end '' are not a span of text"),
    (f"{ROW},3,9,q,zz\n", "text_hash 'zz' is not a hexadecimal hash"),
    # 6 + 2 fields: neither the header's 6 nor 6 + the 4 anchor fields.
    (f"{ROW},3,9\n", "expected 6 fields, found 8 (or 10, with start, end, quote, text_hash)"),
]


@pytest.mark.parametrize(("row", "message"), BAD_ANCHORS)
def test_a_bad_anchor_is_reported_with_its_line(tmp_path: Path, row: str, message: str) -> None:
    from qualcode.errors import OverrideError

    path = write(tmp_path / "anna.csv", LEGACY_HEADER + row)
    with pytest.raises(OverrideError) as info:
        read_overrides([path])
    [problem] = info.value.problems
    assert (problem.message, problem.line) == (message, 2)


@pytest.mark.parametrize(
    ("note", "in_file"),
    [
        # a note is user text: a formula-like start gets a leading ' in the file, and the note
        # reads back as it was typed
        ('=HYPERLINK("http://x")', "'=HYPERLINK"),
        ("+1 check", "'+1 check"),
        ("-see transcript", "'-see transcript"),
        ("appeal to the TAR", "appeal to the TAR"),
    ],
)
def test_a_formula_like_note_is_written_safely(tmp_path: Path, note: str, in_file: str) -> None:
    from qualcode.decisions import append_override, read_overrides

    path = append_override(
        tmp_path,
        segment_id="t.t.0123456789",
        code="litigation",
        action="add",
        coder="anna",
        note=note,
        timestamp="2026-12-06T10:00:00+00:00",
    )
    assert in_file in path.read_text(encoding="utf-8")
    assert read_overrides([path])["note"].tolist() == [note]


def test_moved_decisions_keep_their_time_and_lose_old_ids_in_copies(project: Path) -> None:
    """A REFI-QDA export dates the coder's re-attached adds (three `care` adds, one per
    paragraph); a pseudonymised copy names only new segment ids and keeps no text hash."""
    import zipfile

    from lxml import etree

    _turn_decisions(project)
    code(project, "out2", "--unit", "paragraph")
    result = run_cli(["export", "qdpx", "--from", str(project / "out2"), "-o", "p.qdpx"])
    assert result.exit_code == 0, result.stderr + result.stdout
    with zipfile.ZipFile(project / "p.qdpx") as archive:
        root = etree.fromstring(archive.read("project.qde"))
    dated = [e for e in root.iter("{*}Coding") if e.get("creationDateTime")]
    # T1's add maps onto its two paragraphs, T3's onto one: three dated codings.
    assert len(dated) == 3
    result = run_cli(["pseudonymise", "--from", str(project / "out2"), "-o", "pseudo_out"])
    assert result.exit_code == 0, result.stderr + result.stdout
    rows = overrides(project, "pseudo_out")
    new_ids = set(pd.read_parquet(project / "pseudo_out" / "segments.parquet")[m.SEGMENT_ID])
    for row in rows:
        assert set(row[m.REATTACHED_TO].split(";")) <= new_ids
        assert not row[m.TEXT_HASH]


def test_explain_lists_a_decision_that_moved_onto_the_segment(project: Path) -> None:
    _turn_decisions(project)
    code(project, "out2", "--unit", "paragraph")
    p_press = segment_id(project, "out2", "We also held")
    result = run_cli(["explain", p_press, "--from", str(project / "out2")])
    assert result.exit_code == 0, result.stderr + result.stdout
    # T1's two decisions (add care, remove advocacy) now cover the press paragraph.
    assert result.stdout.count("reattached") == 2
    assert "anna" in result.stdout


def test_the_report_lists_moved_decisions_with_their_new_segments(project: Path) -> None:
    _turn_decisions(project)
    code(project, "out2", "--unit", "paragraph")
    p_clinic = segment_id(project, "out2", "The clinic")
    result = run_cli(["report", "--from", str(project / "out2"), "-o", "r.html"])
    assert result.exit_code == 0, result.stderr + result.stdout
    page = (project / "r.html").read_text(encoding="utf-8")
    assert "Decisions not applied as recorded" in page
    # three decisions moved: T1's two onto its paragraphs, T3's onto the clinic paragraph
    assert page.count("re-attached after a transcript edit or a change of unit") == 3
    assert f"→ {p_clinic}" in page


@pytest.mark.parametrize(
    ("rows", "fine"),
    [
        # an old file whose header gained the four anchor columns by hand: its six-field rows
        # read with empty anchors, and new ten-field rows read in full
        (["s.t.0123456789,care,add,anna,,2025-01-01T00:00:00+00:00"], True),
        (["s.t.0123456789,care,add,anna,,2025-01-01T00:00:00+00:00,1,9,a quote,abcd"], True),
        # any other count is still an error with its line
        (["s.t.0123456789,care,add,anna,,2025-01-01T00:00:00+00:00,1"], False),
    ],
)
def test_a_hand_widened_header_reads_old_rows(tmp_path: Path, rows: list[str], fine: bool) -> None:
    from qualcode.errors import OverrideError

    header = ",".join(m.DECISION_COLUMNS)
    path = write(tmp_path / "anna.csv", "\n".join([header, *rows]) + "\n")
    if fine:
        assert read_overrides([path])[m.CODE].tolist() == ["care"]
    else:
        with pytest.raises(OverrideError, match="anna.csv:2: expected 10 fields, found 7"):
            read_overrides([path])
