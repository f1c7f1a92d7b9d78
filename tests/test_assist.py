"""Assisted coding: `qualcode kwic` (contexts, lemma mode, accepted hits become decisions the next
`code` applies) and `qualcode suggest` (planted words ranked first, deterministic, offline, a
model file that is never trusted blindly, `--evaluate` measures checked by hand)."""

from __future__ import annotations

import json
import math
import random
import socket
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import run_cli, write
from qualcode import models as m
from qualcode.assist.evaluate import average_precision, random_average_precision, score_table

CODEBOOK = """
name: assist
version: "1"
codes:
  - name: litigation
    definition: Going to court.
    patterns:
      en: ["file * lawsuit"]
  - name: care
    definition: Talk about the clinic.
    patterns:
      en: [clinic]
  - name: planted
    definition: Segments a coder marks by hand.
    manual: true
"""

KWIC_TRANSCRIPT = """
---
language: en
country: Italy
role: lawyer
---
INT: What happened?
P: We filed an appeal at the court and the appeal was heard in May.
INT: And then?
P: The appeals took years, said the clinic.
"""


def _ok(args: list[str]) -> str:
    result = run_cli(args)
    assert result.exit_code == 0, f"qualcode {' '.join(args)}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _code(corpus: Path, codebook: Path, out: Path, overrides: Path | None = None) -> None:
    extra = ["--overrides", str(overrides)] if overrides is not None else ["--no-overrides"]
    _ok(["code", str(corpus), "-c", str(codebook), "-o", str(out), "--quiet", *extra])


# --------------------------------------------------------------------------- kwic


@pytest.fixture
def kwic_out(tmp_path: Path) -> Path:
    write(tmp_path / "corpus" / "en_law.md", KWIC_TRANSCRIPT)
    _code(tmp_path / "corpus", write(tmp_path / "book.yaml", CODEBOOK), tmp_path / "out")
    return tmp_path / "out"


def _kwic(out: Path, *args: str) -> list[dict]:
    return json.loads(_ok(["kwic", *args, "--from", str(out), "--format", "json"]))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # "appeal" as written (lower-cased): the two in the first answer, not "appeals".
        # Window 3: "We filed an" are exactly 3 words (no ellipsis); "at the court" are cut.
        # Offsets in the segment: "We filed an " is 12 characters; "We filed an appeal at the
        # court and the " is 12 + 7 + 13 + 8 = 40; "The " is 4.
        (
            ["appeal", "--window", "3"],
            [
                ("We filed an", "appeal", "at the court …", 12),
                ("… court and the", "appeal", "was heard in …", 40),
            ],
        ),
        # --lemma: "appeals" has the lemma "appeal" too; its segment carries the code `care`.
        (
            ["appeal", "--window", "3", "--lemma"],
            [
                ("We filed an", "appeal", "at the court …", 12),
                ("… court and the", "appeal", "was heard in …", 40),
                ("The", "appeals", "took years, said …", 4),
            ],
        ),
        # A codebook phrase with a wildcard, matched on lemmas: "filed an appeal".
        (["--pattern", "file * appeal", "--window", "1"], [("We", "filed an appeal", "at …", 3)]),
        # A regex mapping, as in a codebook.
        (
            ["--pattern", "{regex: 'appeals?'}", "--window", "0"],
            [("…", "appeal", "…", 12), ("…", "appeal", "…", 40), ("…", "appeals", "…", 4)],
        ),
    ],
)
def test_kwic_shows_each_hit_in_its_context(kwic_out: Path, args, expected) -> None:
    hits = _kwic(kwic_out, *args)
    # Offsets are into the transcript's canonical text: the segment's start plus the match's
    # offset inside the segment text (given above per hit).
    segments = pd.read_csv(kwic_out / "segments.csv").set_index(m.SEGMENT_ID)
    found = [
        (h["left"], h["match"], h["right"], h[m.START] - segments.loc[h[m.SEGMENT_ID], m.START])
        for h in hits
    ]
    assert found == expected
    assert [h["hit"] for h in hits] == list(range(1, len(expected) + 1))
    assert {h[m.TRANSCRIPT_ID] for h in hits} == {"en_law"}
    assert {h[m.SPEAKER] for h in hits} == {"P"}


def test_kwic_lists_the_codes_already_on_each_segment(kwic_out: Path) -> None:
    hits = _kwic(kwic_out, "appeal", "--lemma")
    # The first answer has no code; the second mentions the clinic (pattern of `care`).
    assert [h["coded"] for h in hits] == ["", "", "care"]


def test_kwic_accepted_hits_become_decisions_the_next_run_applies(
    tmp_path: Path, kwic_out: Path
) -> None:
    decisions = tmp_path / "decisions"
    args = ["kwic", "appeal", "--lemma", "--from", str(kwic_out), "--dir", str(decisions)]
    result = run_cli([*args, "--code", "litigation", "--coder", "anna", "--accept", "all"])
    assert result.exit_code == 0, result.stderr
    # Three hits in two segments: one decision per segment, noted with the query.
    assert "Recorded 2 decision(s): add litigation by anna" in result.stderr
    rows = pd.read_csv(decisions / "anna.csv", keep_default_na=False)
    hits = _kwic(kwic_out, "appeal", "--lemma")
    segments = list(dict.fromkeys(h[m.SEGMENT_ID] for h in hits))
    assert rows[m.SEGMENT_ID].tolist() == segments
    assert set(rows[m.ACTION]) == {"add"} and set(rows[m.CODE]) == {"litigation"}
    assert set(rows[m.NOTE]) == {"kwic: appeal (lemma)"}

    _code(tmp_path / "corpus", tmp_path / "book.yaml", kwic_out, overrides=decisions)
    codings = pd.read_csv(kwic_out / "codings.csv")
    anna = codings[codings[m.CODER] == "anna"]
    assert sorted(anna[m.SEGMENT_ID]) == sorted(segments)
    assert set(anna[m.CODE]) == {"litigation"} and set(anna[m.SOURCE]) == {"manual"}

    # Accepting the same hits again records nothing new: anna already has the code there.
    again = run_cli([*args, "--code", "litigation", "--coder", "anna", "--accept", "1,3"])
    assert again.exit_code == 0, again.stderr
    assert "Recorded 0 decision(s)" in again.stderr
    assert "2 segment(s) already had litigation from anna" in again.stderr
    assert len(pd.read_csv(decisions / "anna.csv")) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["appeal", "--accept", "1"], "--accept needs --code CODE and --coder NAME"),
        (
            ["appeal", "--code", "nope", "--coder", "anna", "--accept", "1"],
            "not a code of the codebook",
        ),
        (
            ["appeal", "--code", "care", "--coder", "anna", "--accept", "1,9,x.t.1"],
            "not among the hits of appeal: 9, x.t.1",
        ),
        (["appeal", "--pattern", "appeal"], "give either a TERM or --pattern PATTERN"),
        (["--pattern", "{tokens: [{LEMMA: {BAD: 1}}]}"], "invalid token pattern"),
    ],
)
def test_kwic_refuses_bad_requests_and_records_nothing(
    tmp_path: Path, kwic_out: Path, args: list[str], message: str
) -> None:
    result = run_cli(["kwic", *args, "--from", str(kwic_out), "--dir", str(tmp_path / "d")])
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "d").exists()


# --------------------------------------------------------------------------- suggest

WORDS = [
    *("clinic", "patient", "doctor", "report", "office", "nurse", "week", "money", "city"),
    *("people", "house", "school", "street", "family", "child", "mother", "father", "friend"),
]
PLANTED = "zorblat"
DECIDED = ("t1", "t2", "t3")  # anna covers these; t4 and t5 are still to decide
PLANTED_TURNS = {"t1": (0, 3), "t2": (0, 3), "t3": (0, 3), "t4": (1, 5), "t5": (2, 6)}


def _turn(rng: random.Random, planted: bool) -> str:
    # Six common words; a planted answer has three of them and the planted word.
    words = rng.sample(WORDS, 3 if planted else 6)
    if planted:
        words.insert(rng.randrange(len(words)), PLANTED)
    return " ".join(words) + "."


def _planted_corpus(folder: Path) -> Path:
    """Five transcripts of eight answers each; answers PLANTED_TURNS contain the planted word."""
    rng = random.Random(11)
    for name, planted in PLANTED_TURNS.items():
        lines = ["---", "language: en", "---"]
        for i in range(8):
            lines += ["INT: And?", f"P: {_turn(rng, i in planted)}"]
        write(folder / f"{name}.md", "\n".join(lines) + "\n")
    return folder


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An output folder where anna gave `planted` to exactly the answers with the planted word
    in t1-t3 (six segments); "open" lists the planted answers of t4 and t5."""
    root = tmp_path_factory.mktemp("planted")
    corpus = _planted_corpus(root / "corpus")
    book = write(root / "book.yaml", CODEBOOK)
    out = root / "out"
    _code(corpus, book, out)
    segments = pd.read_csv(out / "segments.csv")
    answers = segments[~segments[m.IS_INTERVIEWER]]
    lines = ["segment_id,code,action,coder,note,timestamp"]
    for sid, transcript, text in zip(
        answers[m.SEGMENT_ID], answers[m.TRANSCRIPT_ID], answers[m.TEXT], strict=True
    ):
        if transcript in DECIDED and PLANTED in text:
            lines.append(f"{sid},planted,add,anna,,2025-01-01T00:00:00Z")
    write(root / "decisions" / "anna.csv", "\n".join(lines) + "\n")
    _code(corpus, book, out, overrides=root / "decisions")
    still_open = ~answers[m.TRANSCRIPT_ID].isin(DECIDED) & answers[m.TEXT].str.contains(PLANTED)
    ids = root / "open_planted.txt"
    ids.write_text("\n".join(answers.loc[still_open, m.SEGMENT_ID]), encoding="utf-8")
    return {"root": root, "out": out, "corpus": corpus, "book": book, "open": ids}


def _suggest(out: Path, *args: str) -> list[dict]:
    text = _ok(["suggest", "--from", str(out), "--format", "json", *args])
    return json.loads(text)


def test_suggest_ranks_the_planted_segments_first(planted: dict[str, Path]) -> None:
    rows = _suggest(planted["out"], "--coder", "anna", "--code", "planted", "--limit", "4")
    expected = set(planted["open"].read_text(encoding="utf-8").split())
    assert len(expected) == 4  # two planted answers in each of t4 and t5
    assert {r[m.SEGMENT_ID] for r in rows} == expected
    assert [r["rank"] for r in rows] == [1, 2, 3, 4]
    assert all(r["probability"] > 0.5 for r in rows)
    assert all(r["words"].split(", ")[0] == PLANTED for r in rows)
    # Only segments anna has not decided are suggested (t4 and t5).
    assert {r[m.TRANSCRIPT_ID] for r in rows} == {"t4", "t5"}


def test_suggest_is_deterministic_and_reuses_only_an_intact_model(
    planted: dict[str, Path],
) -> None:
    out = planted["out"]
    first = _suggest(out, "--coder", "anna", "--code", "planted")
    model = out / "models" / "suggest-coder-anna.json"
    saved = model.read_bytes()
    body = json.loads(saved)
    assert body["format"] == "qualcode-suggest-model" and body["source"] == "coder anna"
    assert len(body["training_sha256"]) == 64

    reran = run_cli(["suggest", "--from", str(out), "--coder", "anna", "--code", "planted"])
    assert "model reused" in reran.stdout
    model.unlink()  # retrained from scratch: the same file, byte for byte, the same ranking
    assert _suggest(out, "--coder", "anna", "--code", "planted") == first
    assert model.read_bytes() == saved

    # A model file edited by hand (or swapped) no longer matches its digest: never used.
    body["intercepts"]["planted"] = 50.0
    model.write_text(json.dumps(body), encoding="utf-8")
    result = run_cli(["suggest", "--from", str(out), "--coder", "anna", "--code", "planted"])
    assert "model trained" in result.stdout
    assert _suggest(out, "--coder", "anna", "--code", "planted") == first
    assert model.read_bytes() == saved


class NetworkAttempt(OSError):
    pass


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every connection and name lookup raises (as in test_offline.py); returns the attempts."""
    attempts: list[str] = []

    def refuse(name: str):
        def refused(*args, **kwargs):
            attempts.append(name)
            raise NetworkAttempt(f"qualcode tried to use the network ({name})")

        return refused

    for owner, name in (
        (socket.socket, "connect"),
        (socket.socket, "connect_ex"),
        (socket, "create_connection"),
        (socket, "getaddrinfo"),
    ):
        monkeypatch.setattr(owner, name, refuse(name))
    return attempts


def test_kwic_and_suggest_run_with_the_network_cut_off(
    planted: dict[str, Path], no_network: list[str]
) -> None:
    with pytest.raises(NetworkAttempt):
        socket.create_connection(("example.org", 80), timeout=1)
    no_network.clear()
    out = planted["out"]
    for saved in (out / "models").glob("*.json"):
        saved.unlink()  # train here, offline, rather than reuse a saved model
    _ok(["kwic", PLANTED, "--from", str(out)])
    assert "model trained" in _ok(["suggest", "--from", str(out), "--coder", "anna"])
    _ok(["suggest", "--from", str(out), "--coder", "anna", "--evaluate"])
    assert no_network == []


def test_suggest_accepts_ranks_as_decisions_by_the_coder(
    tmp_path: Path, planted: dict[str, Path]
) -> None:
    out, decisions = planted["out"], tmp_path / "d"
    rows = _suggest(out, "--coder", "anna", "--code", "planted", "--limit", "2")
    args = ["suggest", "--from", str(out), "--coder", "anna", "--code", "planted"]
    result = run_cli([*args, "--accept", "2,1", "--dir", str(decisions)])
    assert result.exit_code == 0, result.stderr
    assert "Recorded 2 decision(s): add planted by anna" in result.stderr
    written = pd.read_csv(decisions / "anna.csv")
    assert written[m.SEGMENT_ID].tolist() == [rows[1][m.SEGMENT_ID], rows[0][m.SEGMENT_ID]]
    assert all(note.startswith("suggest: p=") for note in written[m.NOTE])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--coder", "anna", "--accept", "1"], "--accept needs exactly one --code"),
        (["--layer", "final", "--code", "planted", "--accept", "1"], "needs --as NAME"),
        (["--coder", "bob"], "coder 'bob' made no decision"),
        (["--coder", "auto"], "'auto' is the codebook itself"),
        (["--coder", "anna", "--layer", "final"], "give either a coder"),
        (["--coder", "anna", "--code", "nope"], "not a code of the codebook"),
        (["--coder", "anna", "--code", "planted", "--accept", "99"], "not among the suggestions"),
        (["--coder", "anna", "--code", "planted", "--accept", "1", "--evaluate"], "does not go"),
        (["--coder", "anna", "--gold", "gold.jsonl"], "--gold works with --evaluate only"),
    ],
)
def test_suggest_refuses_bad_requests(
    tmp_path: Path, planted: dict[str, Path], args: list[str], message: str
) -> None:
    d = tmp_path / "d"
    result = run_cli(["suggest", "--from", str(planted["out"]), "--dir", str(d), *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert not d.exists()


def test_suggest_learns_from_the_final_layer_too(planted: dict[str, Path]) -> None:
    # The final coding on the transcripts anna covered is anna's: the same planted segments.
    rows = _suggest(planted["out"], "--layer", "final", "--code", "planted", "--limit", "4")
    assert {r[m.SEGMENT_ID] for r in rows} == set(planted["open"].read_text().split())


# --------------------------------------------------------------------------- --evaluate


def test_average_precision_matches_a_hand_computation() -> None:
    # Ranked best first: + - + - - +. Precision at each positive: 1/1, 2/3, 3/6.
    # AP = (1 + 2/3 + 1/2) / 3 = 13/18 = 0.7222...
    labels = np.array([1, 0, 1, 0, 0, 1], dtype=bool)
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    assert average_precision(labels, scores) == pytest.approx(13 / 18)
    assert math.isnan(average_precision(np.zeros(3, dtype=bool), scores[:3]))


@pytest.mark.parametrize(
    ("n", "positives", "expected"),
    [
        (1, 1, 1.0),
        (3, 3, 1.0),  # every ranking is perfect
        # One positive among 4: the mean of 1/rank over ranks 1..4 = (1 + 1/2 + 1/3 + 1/4) / 4.
        (4, 1, (1 + 1 / 2 + 1 / 3 + 1 / 4) / 4),
        # Two positives among 3, the 3 places of the negative equally likely:
        # -++ : (1/2 + 2/3)/2 = 7/12; +-+ : (1 + 2/3)/2 = 5/6; ++- : 1 -> mean = 29/36.
        (3, 2, 29 / 36),
        (5, 0, math.nan),
    ],
)
def test_random_ranking_average_precision_is_its_exact_expectation(n, positives, expected) -> None:
    found = random_average_precision(n, positives)
    assert (math.isnan(found) and math.isnan(expected)) or found == pytest.approx(expected)


def test_evaluation_table_measures_worked_by_hand() -> None:
    labels = {"a": np.array([1, 0, 1, 0, 0, 1], dtype=bool)}
    scores = {"a": np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])}
    given = {"a": np.array([1, 1, 0, 0, 0, 1], dtype=bool)}  # the codebook: 2 of its 3 right
    row = score_table(labels, scores, given, k=2).iloc[0]
    assert row["ap"] == pytest.approx(13 / 18)
    assert row["p@10"] == pytest.approx(3 / 6)  # fewer than 10 segments: all 6 count
    assert row["r@k"] == pytest.approx(1 / 3)  # the top 2 hold 1 of the 3 positives
    assert row["random p@10"] == pytest.approx(3 / 6)
    assert row["random r@k"] == pytest.approx(2 / 6)
    # (1/6) * sum_{i=1..6} (1 + (i-1)*2/5) / i = (1/6) * (H6 + 0.4 * (6 - H6)), H6 = 2.45
    assert row["random ap"] == pytest.approx((2.45 + 0.4 * (6 - 2.45)) / 6)
    assert (row["codebook precision"], row["codebook recall"]) == (2 / 3, 2 / 3)


def test_evaluate_cross_validates_by_transcript(planted: dict[str, Path]) -> None:
    args = ["suggest", "--from", str(planted["out"]), "--coder", "anna", "--evaluate"]
    shown = " ".join(_ok(args).split())  # the terminal may wrap the title
    assert "3-fold cross-validation grouped by transcript (3 transcripts)" in shown
    rows = {r["code"]: r for r in json.loads(_ok([*args, "-f", "json"]))}
    row = rows["planted"]
    # 24 decided answers (t1-t3), 6 positives, each with the planted word that no negative has:
    # every fold ranks its 2 positives first, so AP = 1; precision@10 = 6/10; recall@20 = 1.
    assert (row["segments"], row["positives"]) == (24, 6)
    assert (row["ap"], row["p@10"], row["r@k"]) == (1.0, 0.6, 1.0)
    # Random: (1/24) * (H24 + 5/23 * (24 - H24)), H24 = 3.77595818, i.e. 0.3405.
    assert row["random ap"] == pytest.approx((3.77595818 + 5 / 23 * (24 - 3.77595818)) / 24)
    # `planted` is a manual code: the codebook gives it to no segment (precision undefined).
    assert row["codebook precision"] is None and row["codebook recall"] == 0.0


def test_a_suggest_model_folder_does_not_block_the_next_coding_run(tmp_path):
    # out/models/ is written by `qualcode suggest` after the run: it is qualcode's own cache,
    # so re-coding into the same folder is allowed (a user's file there is still refused).
    from conftest import SAMPLE, SAMPLE_CODEBOOK, run_cli

    out = tmp_path / "out"
    args = ["code", str(SAMPLE), "--codebook", str(SAMPLE_CODEBOOK), "--out", str(out), "-q"]
    assert run_cli(args).exit_code == 0
    (out / "models").mkdir(exist_ok=True)
    (out / "models" / "suggest-coder-x.json").write_text("{}", encoding="utf-8")
    assert run_cli(args).exit_code == 0
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    refused = run_cli(args)
    assert refused.exit_code == 2 and "notes.txt" in refused.stderr
