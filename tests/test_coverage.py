"""Which transcripts a coder covered: done marks, inferred coverage, and where decisions come from.

The mini corpus (see conftest) has three transcripts; its participant segments and automatic
codes:

    en_one   P1 "Yes. We filed a lawsuit ..."        litigation, advocacy
    en_one   P2 "We fill the gap, honestly. ..."     humanitarianism
    it_two   P1 "Abbiamo presentato un ricorso ..."  litigation, advocacy
    it_two   P2 "Prego."                             -
    es_three P1 "Presentamos un recurso. ..."        litigation

anna decides on en_one (4 decisions) and it_two (2); ben on en_one (2) and it_two (1); spot
records 2 spot decisions on en_one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli, write
from qualcode import models as m
from qualcode.coding.api import code_corpus

HEADER = "segment_id,code,action,coder,note,timestamp\n"
T = "2025-02-01T10:00:0"


def _segment(result, transcript: str, startswith: str) -> str:
    s = result.segments
    rows = s[(s[m.TRANSCRIPT_ID] == transcript) & s[m.TEXT].str.startswith(startswith)]
    assert len(rows) == 1
    return rows[m.SEGMENT_ID].iloc[0]


@pytest.fixture
def decisions(tmp_path: Path, mini_corpus: Path, mini_codebook: Path) -> Path:
    """A decisions folder with anna's, ben's and spot's decisions (no done marks yet)."""
    base = code_corpus(mini_corpus, mini_codebook)
    en1, en2 = _segment(base, "en_one", "Yes. We filed"), _segment(base, "en_one", "We fill")
    it1 = _segment(base, "it_two", "Abbiamo")
    folder = tmp_path / "ov"
    write(
        folder / "anna.csv",
        HEADER
        + f"{en1},litigation,add,anna,,{T}1\n"
        + f"{en1},advocacy,remove,anna,,{T}2\n"
        + f"{en2},humanitarianism,add,anna,,{T}3\n"
        + f"{en2},litigation,add,anna,,{T}4\n"
        + f"{it1},litigation,add,anna,,{T}5\n"
        + f"{it1},advocacy,add,anna,,{T}6\n",
    )
    write(
        folder / "ben.csv",
        HEADER
        + f"{en1},litigation,add,ben,,{T}1\n"
        + f"{en1},advocacy,add,ben,,{T}2\n"
        + f"{it1},litigation,add,ben,,{T}3\n",
    )
    write(
        folder / "spot.csv",
        HEADER + f"{en2},litigation,add,spot,,{T}7\n" + f"{en2},advocacy,add,spot,,{T}8\n",
    )
    return folder


def _code(corpus: Path, codebook: Path, folder: Path, out: Path) -> Path:
    args = ["code", str(corpus), "--codebook", str(codebook), "--out", str(out), "--quiet"]
    result = run_cli([*args, "--overrides", str(folder)])
    assert result.exit_code == 0, result.stderr
    return out


def _done(folder: Path, transcript: str, coder: str) -> None:
    result = run_cli(["override", "done", transcript, "--coder", coder, "--dir", str(folder)])
    assert result.exit_code == 0, result.stderr


def _freq(out: Path, coder: str) -> tuple[dict[str, float], dict[str, float], str]:
    args = ["freq", "--from", str(out), "--coder", coder, "--count", "cases", "--percent"]
    result = run_cli([*args, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    tables = json.loads(result.stdout)
    freq = {r["code"]: r["Total"] for r in tables["frequencies"]}
    denominators = {r["denominator"]: r["Total"] for r in tables["denominators"]}
    return freq, denominators, " ".join(result.stderr.split())


def test_freq_for_a_coder_is_over_the_transcripts_the_coder_covered(
    tmp_path, mini_corpus, mini_codebook, decisions
):
    out = _code(mini_corpus, mini_codebook, decisions, tmp_path / "out")
    freq, denominators, notes = _freq(out, "anna")
    # No done marks: anna covers en_one and it_two (she decided there), not es_three, so the
    # denominator is 2 cases, not 3. Her manual codings: litigation on en_one P1, P2 and
    # it_two P1 -> 2 of 2 cases = 100 %; humanitarianism on en_one P2 -> 1 of 2 = 50 %;
    # advocacy on it_two P1 -> 50 % (over all 3 transcripts: 66.7 %, 33.3 %, 33.3 %).
    assert denominators["n_cases"] == 2
    assert (freq["litigation"], freq["humanitarianism"], freq["advocacy"]) == (100.0, 50.0, 50.0)
    assert "Denominator: the 2 transcript(s) anna covered (coverage inferred" in notes
    # anna made only 2 decisions in it_two: a spot check would look the same.
    assert "anna covers 1 transcript(s) with fewer than 3 decisions each (it_two)" in notes


def test_done_marks_make_coverage_explicit_for_freq(
    tmp_path, mini_corpus, mini_codebook, decisions
):
    _done(decisions, "en_one", "ben")
    _done(decisions, "es_three", "ben")
    out = _code(mini_corpus, mini_codebook, decisions, tmp_path / "out")
    freq, denominators, notes = _freq(out, "ben")
    # ben marked en_one and es_three: his decision on it_two no longer covers it. Denominator
    # 2 cases; his litigation is on en_one P1 only -> 1 of 2 = 50 %, advocacy the same.
    assert denominators["n_cases"] == 2
    assert (freq["litigation"], freq["advocacy"]) == (50.0, 50.0)
    assert "Denominator: the 2 transcript(s) ben covered (coverage from done marks" in notes
    assert "fewer than 3 decisions" not in notes


def test_a_done_mark_is_an_ordinary_row_of_the_coders_file(tmp_path):
    _done(tmp_path, "en_one", "ben")
    lines = (tmp_path / "ben.csv").read_text(encoding="utf-8").splitlines()
    # A new file's header ends with the anchor columns; a mark has no anchor (4 empty fields).
    assert lines[0] == HEADER.strip() + ",start,end,quote,text_hash"
    assert lines[1].startswith("en_one,*,done,ben,,")
    assert lines[1].endswith(",,,,")


def _agree(out: Path) -> tuple[dict, str]:
    args = ["agree", "--from", str(out), "--coders", "all"]
    tables = run_cli([*args, "--format", "json"])
    assert tables.exit_code == 0, tables.stderr
    text = run_cli(args)
    return json.loads(tables.stdout), " ".join(text.stdout.split())


def test_agree_ignores_a_spot_checker_once_done_marks_exist(
    tmp_path, mini_corpus, mini_codebook, decisions
):
    before, text = _agree(_code(mini_corpus, mini_codebook, decisions, tmp_path / "out1"))
    # Without marks spot's two decisions make spot a coder of en_one, with a warning.
    assert "spot covers 1 transcript(s) with fewer than 3 decisions each (en_one)" in text
    assert "coverage inferred from decisions" in text
    assert {r["transcript_id"] for r in before["exclusions"]} == {"it_two", "es_three"}
    for transcript, coder in (("en_one", "anna"), ("it_two", "anna")):
        _done(decisions, transcript, coder)
    for transcript in ("en_one", "it_two"):
        _done(decisions, transcript, "ben")
    after, text = _agree(_code(mini_corpus, mini_codebook, decisions, tmp_path / "out2"))
    # With marks spot covers nothing: en_one and it_two are compared between anna and ben only
    # (spot is missing there), es_three is coded by nobody compared.
    assert "coverage from done marks" in text
    assert "fewer than 3 decisions" not in text
    assert after["exclusions"] == [
        {
            "transcript_id": "en_one",
            "coded_by": "anna, ben",
            "missing_for": "spot",
            "compared": True,
        },
        {
            "transcript_id": "es_three",
            "coded_by": "",
            "missing_for": "anna, ben, spot",
            "compared": False,
        },
        {
            "transcript_id": "it_two",
            "coded_by": "anna, ben",
            "missing_for": "spot",
            "compared": True,
        },
    ]
    # litigation on the 4 segments anna and ben covered: anna 1 1 1 0, ben 1 0 1 0. Nominal
    # alpha for two coders: 1 - (n - 1) * disagreeing units / (n_0 * n_1) with n = 8 values,
    # n_1 = 5, n_0 = 3 and 1 disagreeing unit: 1 - 7 / 15 = 8 / 15 (spot's missing values
    # do not count).
    rows = {r["code"]: r for r in after["agreement"]}
    assert rows["litigation"]["krippendorff_alpha"] == pytest.approx(8 / 15)


def test_an_unrelated_folder_coded_from_a_project_picks_up_no_decisions(
    tmp_path, mini_corpus, mini_codebook, decisions, monkeypatch
):
    project = tmp_path / "project"
    (project / "overrides").mkdir(parents=True)
    for file in decisions.iterdir():
        (project / "overrides" / file.name).write_bytes(file.read_bytes())
    monkeypatch.chdir(project)
    # The corpus is tmp_path/corpus: no overrides/ in it nor beside it (tmp_path/overrides).
    result = run_cli(["code", str(mini_corpus), "--codebook", str(mini_codebook), "--out", "o"])
    assert result.exit_code == 0, result.stderr
    assert "Overrides from" not in result.stdout
    run = json.loads((project / "o" / "run.json").read_text(encoding="utf-8"))
    assert run["options"]["overrides"] == []
    assert run["summary"]["overrides"] == {}


def test_decisions_beside_the_transcripts_folder_are_found(
    tmp_path, mini_corpus, mini_codebook, decisions, monkeypatch
):
    decisions.rename(tmp_path / "overrides")  # beside tmp_path/corpus
    monkeypatch.chdir(tmp_path)
    result = run_cli(["code", "corpus", "--codebook", str(mini_codebook), "--out", "o"])
    assert result.exit_code == 0, result.stderr
    # 6 + 3 + 2 decisions, all on segments of this corpus: 11 applied.
    assert "Overrides from overrides: 11 applied" in " ".join(result.stdout.split())


def test_decisions_on_another_corpus_are_one_summary_line(tmp_path, mini_codebook, decisions):
    # Code en_one alone: anna's 2 and ben's 1 decisions on it_two are not in this corpus.
    alone = write(tmp_path / "alone" / "en_one.md", (tmp_path / "corpus" / "en_one.md").read_text())
    args = ["code", str(alone.parent), "--codebook", str(mini_codebook), "--out"]
    result = run_cli([*args, str(tmp_path / "o"), "--overrides", str(decisions)])
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stderr.split()) + " ".join(result.stdout.split())
    assert "3 decision(s) not in this corpus: they name 1 transcript(s)" in text
    assert "no longer exists" not in text
    summary = json.loads((tmp_path / "o" / "run.json").read_text(encoding="utf-8"))["summary"]
    assert summary["overrides"] == {"applied": 8, "not_in_corpus": 3}


def test_done_for_a_transcript_not_in_the_output_is_refused(
    tmp_path, mini_corpus, mini_codebook, decisions
):
    out = _code(mini_corpus, mini_codebook, decisions, tmp_path / "out")
    args = ["override", "done", "en_two", "--coder", "ben", "--dir", str(decisions)]
    result = run_cli([*args, "--from", str(out)])
    assert result.exit_code == 2
    assert f"transcript 'en_two' is not in {out}" in " ".join(result.stderr.split())
    assert "done" not in (decisions / "ben.csv").read_text(encoding="utf-8")
