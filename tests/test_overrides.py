"""Manual overrides: add, remove, orphans, bad rows, and safe concurrent appends."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pandas as pd
import pytest

from conftest import write
from qualcode import models as m
from qualcode.coding.api import code_corpus
from qualcode.decisions.append import append_override
from qualcode.decisions.ledger import read_overrides
from qualcode.errors import OverrideError

HEADER = "segment_id,code,action,coder,note,timestamp\n"


def _segment_id(result, transcript: str, startswith: str) -> str:
    s = result.segments
    rows = s[(s[m.TRANSCRIPT_ID] == transcript) & s[m.TEXT].str.startswith(startswith)]
    assert len(rows) == 1
    return rows[m.SEGMENT_ID].iloc[0]


@pytest.fixture
def base(mini_corpus: Path, mini_codebook: Path):
    return code_corpus(mini_corpus, mini_codebook)


def _coded(result) -> set[tuple[str, str, str]]:
    c = result.codings
    return set(zip(c[m.SEGMENT_ID], c[m.CODE], c[m.CODER], strict=True))


def test_add_and_remove_are_applied_after_auto_coding(
    tmp_path: Path, base, mini_corpus: Path, mini_codebook: Path
) -> None:
    lawsuit = _segment_id(base, "en_one", "Yes. We filed")
    prego = _segment_id(base, "it_two", "Prego")
    assert (lawsuit, "litigation", "auto") in _coded(base)
    write(
        tmp_path / "ov" / "anna.csv",
        HEADER
        + f"{lawsuit},litigation,remove,anna,not really,2025-01-01T10:00:00\n"
        + f"{prego},humanitarianism,add,anna,implicit,2025-01-01T10:01:00\n",
    )
    result = code_corpus(mini_corpus, mini_codebook, overrides=[tmp_path / "ov"])
    coded = _coded(result)
    assert (lawsuit, "litigation", "auto") not in coded
    assert (lawsuit, "advocacy", "auto") in coded  # only the named code was removed
    assert (prego, "humanitarianism", "anna") in coded
    row = result.codings[result.codings[m.CODER] == "anna"].iloc[0]
    assert (row[m.SOURCE], row[m.NOTE], row[m.COUNTRY]) == ("manual", "implicit", "Italy")
    assert pd.isna(row[m.PARENT])  # humanitarianism is a top-level code
    assert list(result.overrides[m.STATUS]) == ["applied", "applied"]
    assert list(result.overrides["removed_auto"]) == [True, False]


def test_last_decision_wins_by_timestamp_not_file_order(
    tmp_path: Path, base, mini_corpus: Path, mini_codebook: Path
) -> None:
    prego = _segment_id(base, "it_two", "Prego")
    write(
        tmp_path / "ov" / "anna.csv",
        HEADER
        + f"{prego},advocacy,remove,anna,,2025-03-01T00:00:00Z\n"
        + f"{prego},advocacy,add,anna,,2025-02-01T00:00:00Z\n",
    )
    result = code_corpus(mini_corpus, mini_codebook, overrides=[tmp_path / "ov"])
    assert (prego, "advocacy", "anna") not in _coded(result)


@pytest.mark.parametrize(
    ("segment", "code", "status"),
    [
        ("it_two.t.0000000000", "litigation", "orphan_segment"),
        (None, "no_such_code", "orphan_code"),
    ],
)
def test_orphan_override_is_reported_not_dropped(
    tmp_path: Path, base, mini_corpus: Path, mini_codebook: Path, segment, code, status
) -> None:
    segment = segment or _segment_id(base, "it_two", "Prego")
    path = write(tmp_path / "ov" / "anna.csv", HEADER + f"{segment},{code},add,anna,,\n")
    result = code_corpus(mini_corpus, mini_codebook, overrides=[tmp_path / "ov"])
    assert list(result.overrides[m.STATUS]) == [status]
    assert any(f"{path.as_posix()}:2" in w for w in result.warnings)
    with pytest.raises(OverrideError) as info:
        code_corpus(mini_corpus, mini_codebook, overrides=[tmp_path / "ov"], strict=True)
    assert (info.value.problems[0].file, info.value.problems[0].line) == (path.as_posix(), 2)


@pytest.mark.parametrize(
    ("content", "message", "line"),
    [
        (HEADER + "s1,litigation,ad,anna,,\n", "action 'ad' must be add, remove or done", 2),
        (HEADER + "s1,,add,anna,,\n", "empty code", 2),
        (HEADER + ",litigation,add,anna,,\n", "empty segment_id", 2),
        (HEADER + "s1,litigation,add,anna,,yesterday\n", "not ISO 8601", 2),
        (HEADER + "s1,litigation,add\n", "expected 6 fields, found 3", 2),
        ("segment,code,action\n", "missing column(s) segment_id", 1),
        ("segment_id,code,action,colour\n", "unknown column(s) colour", 1),
        (HEADER + 's1,litigation,add,anna,,\n\ns2,x,add,anna,"unclosed\n', "expected 6 fields", 4),
    ],
)
def test_bad_override_rows_are_located(
    tmp_path: Path, content: str, message: str, line: int
) -> None:
    path = write(tmp_path / "anna.csv", content)
    with pytest.raises(OverrideError) as info:
        read_overrides([path])
    problem = info.value.problems[0]
    assert message in problem.message
    assert (problem.file, problem.line) == (str(path), line)


def test_coder_defaults_to_the_file_name(tmp_path: Path) -> None:
    path = write(tmp_path / "luis.csv", "segment_id,code,action\ns1,litigation,add\n")
    assert list(read_overrides([path])[m.CODER]) == ["luis"]


def test_append_creates_header_and_never_truncates(tmp_path: Path) -> None:
    path = append_override(
        tmp_path,
        segment_id="s1",
        code="a",
        action="add",
        coder="anna",
        timestamp="2025-01-01T00:00:00+00:00",
    )
    append_override(
        tmp_path,
        segment_id="s2",
        code="b",
        action="remove",
        coder="anna",
        note='say "hi", ok',
        timestamp="2025-01-02T00:00:00+00:00",
    )
    frame = read_overrides([path])
    assert list(frame[m.SEGMENT_ID]) == ["s1", "s2"]
    assert list(frame[m.NOTE]) == ["", 'say "hi", ok']
    # A new file's header: the six decision columns, then the anchor ones (no anchor here).
    assert path.read_text().startswith(HEADER.rstrip("\n") + ",start,end,quote,text_hash\n")


def test_append_adds_a_missing_final_newline(tmp_path: Path) -> None:
    path = tmp_path / "anna.csv"
    path.write_text(HEADER + "s1,a,add,anna,,", encoding="utf-8")
    append_override(tmp_path, segment_id="s2", code="b", action="add", coder="anna")
    assert list(read_overrides([path])[m.SEGMENT_ID]) == ["s1", "s2"]


def test_append_refuses_a_broken_file_and_leaves_it_untouched(tmp_path: Path) -> None:
    path = tmp_path / "anna.csv"
    broken = HEADER + "s1,a,maybe,anna,,\n"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(OverrideError, match="action 'maybe'"):
        append_override(tmp_path, segment_id="s2", code="b", action="add", coder="anna")
    assert path.read_text(encoding="utf-8") == broken


def _append_many(args: tuple[str, int]) -> None:
    folder, worker = args
    for i in range(50):
        append_override(folder, segment_id=f"s{worker}-{i}", code="c", action="add", coder="shared")


def test_concurrent_appends_lose_no_line(tmp_path: Path) -> None:
    with multiprocessing.get_context("fork").Pool(4) as pool:
        pool.map(_append_many, [(str(tmp_path), w) for w in range(4)])
    frame = read_overrides([tmp_path / "shared.csv"])
    assert len(frame) == 200
    assert frame[m.SEGMENT_ID].nunique() == 200
    assert (tmp_path / "shared.csv").read_text().count("segment_id,code") == 1


def test_override_cli_checks_segment_and_code_against_output(
    tmp_path: Path, cli, mini_corpus, mini_codebook, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert (
        cli(
            ["code", str(mini_corpus), "--codebook", str(mini_codebook), "--out", "out", "-q"]
        ).exit_code
        == 0
    )
    seg = pd.read_csv(tmp_path / "out" / "segments.csv")[m.SEGMENT_ID].iloc[1]
    ok = cli(["override", "add", seg, "litigation", "--coder", "anna", "--note", "clear case"])
    assert ok.exit_code == 0, ok.stderr
    bad_seg = cli(["override", "add", "nope.t.123", "litigation", "--coder", "anna"])
    assert bad_seg.exit_code == 2 and "not in out/segments" in bad_seg.stderr
    bad_code = cli(["override", "remove", seg, "litigaton", "--coder", "anna"])
    assert bad_code.exit_code == 2 and "code 'litigaton'" in bad_code.stderr
    rerun = cli(
        ["code", str(mini_corpus), "--codebook", str(mini_codebook), "--out", "out", "--json"]
    )
    assert rerun.exit_code == 0
    codings = pd.read_csv(tmp_path / "out" / "codings.csv")
    manual = codings[codings[m.SOURCE] == "manual"]
    assert list(zip(manual[m.SEGMENT_ID], manual[m.CODE], manual[m.CODER], strict=True)) == [
        (seg, "litigation", "anna")
    ]


def test_apply_overrides_on_a_corpus_in_memory() -> None:
    """The whole-corpus API: two segments, worked out by hand."""
    import pandas as pd

    from qualcode import models as m
    from qualcode.decisions.ledger import apply_overrides

    segments = pd.DataFrame({m.SEGMENT_ID: ["t.t.a", "t.t.b"]})
    auto = pd.DataFrame({m.SEGMENT_ID: ["t.t.a", "t.t.b"], m.CODE: ["litigation", "advocacy"]})
    rows = [
        # segment, code, action, coder, note
        ("t.t.a", "litigation", "remove", "ana", ""),  # withdraws the auto coding: applied
        ("t.t.a", "advocacy", "add", "ana", "press"),  # applied
        ("t.t.a", "advocacy", "add", "ana", "again"),  # same coder/segment/code: redundant
        ("t.t.b", "nope", "add", "ana", ""),  # not in the codebook: orphan_code
        ("t.t.z", "advocacy", "add", "ana", ""),  # no such segment: orphan_segment
    ]
    overrides = pd.DataFrame(
        [(*r, f"2026-01-01T00:00:0{i}", "ana.csv", i + 2) for i, r in enumerate(rows)],
        columns=[*m.OVERRIDE_COLUMNS, m.OVERRIDE_FILE, m.OVERRIDE_LINE],
    )
    kept, manual, decisions, warnings = apply_overrides(
        segments, auto, overrides, ["litigation", "advocacy"]
    )
    assert list(zip(kept[m.SEGMENT_ID], kept[m.CODE], strict=True)) == [("t.t.b", "advocacy")]
    assert manual.to_dict("records") == [
        {m.CODER: "ana", m.SEGMENT_ID: "t.t.a", m.CODE: "advocacy", m.NOTE: "again"}
    ]
    assert list(decisions[m.STATUS]) == [
        "applied",
        "applied",
        "redundant",
        "orphan_code",
        "orphan_segment",
    ]
    assert list(decisions["removed_auto"]) == [True, False, False, False, False]
    assert len(warnings) == 2
