"""Layers: the automatic coding, a coder's view of it, and the final coding (reviewers last).

The corpus of tests/data/layers (see its README): five participant turns and their automatic
codes

    s1 (t1) litigation    s2 (t1) advocacy    s3 (t1) humanitarianism
    s4 (t2) litigation, advocacy              s5 (t2) none

Decisions (time order T0 < T1 < ...), anna and ben each mark t1 and t2 done:

    rita  T0  remove humanitarianism s5   (the reviewer, deciding first)
    anna  T1  add    humanitarianism s5
    ben   T2  add    humanitarianism s5   (both coders add it: the reviewer overrules them)
    anna  T3  remove advocacy s2          (an automatic coding)
    ben   T4  add    litigation s3

Coded segments per layer, worked out by hand (strategy = litigation or advocacy, counted once):

    layer                 strategy  litigation  advocacy  humanitarianism
    auto                      3      2 (s1 s4)   2 (s2 s4)    1 (s3)
    anna                      2      2 (s1 s4)   1 (s4)       2 (s3 s5)
    ben                       4      3 (s1 s3 s4) 2 (s2 s4)   2 (s3 s5)
    final, reviewer rita      3      3 (s1 s3 s4) 1 (s4)      1 (s3)   rita's remove wins
    final, no reviewer        3      3           1            2 (s3 s5) in time order the adds win
"""

from __future__ import annotations

import csv
import html
import io
from pathlib import Path

import pytest

from conftest import DATA, run_cli, write
from qualcode import models as m
from qualcode.decisions.layers import (
    describe_layer,
    layer_codings,
    layer_delta,
    layer_pairs,
)
from qualcode.output.folder import load_output

CORPUS, CODEBOOK = DATA / "layers" / "corpus", DATA / "layers" / "codebook.yaml"
HEADER = "segment_id,code,action,coder,note,timestamp\n"
T = "2025-01-01T10:00:0{}+00:00"
TEXTS = {
    "s1": "We filed a lawsuit",
    "s2": "We held a press",
    "s3": "We fill the gap",
    "s4": "A lawsuit and",
    "s5": "Nothing else",
}
CODES = ["strategy", "litigation", "advocacy", "humanitarianism"]


def segment_ids(out: Path) -> dict[str, str]:
    """s1..s5 -> segment id, found by the start of each participant turn."""
    segments = load_output(out).segments
    return {
        name: segments.loc[segments[m.TEXT].str.startswith(start), m.SEGMENT_ID].item()
        for name, start in TEXTS.items()
    }


def code_corpus(out: Path, decisions: Path | None = None) -> None:
    args = ["code", str(CORPUS), "--codebook", str(CODEBOOK), "--out", str(out), "--quiet"]
    result = run_cli([*args, *(["--overrides", str(decisions)] if decisions else [])])
    assert result.exit_code == 0, result.stderr


@pytest.fixture(scope="module")
def coded(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("layers")
    out = root / "out"
    code_corpus(out)
    s = segment_ids(out)
    done = "".join(f"{t},*,done,{{coder}},,{T.format(0)}\n" for t in ("t1", "t2"))
    decisions = root / "decisions"
    write(
        decisions / "rita.csv", HEADER + f"{s['s5']},humanitarianism,remove,rita,,{T.format(0)}\n"
    )
    write(
        decisions / "anna.csv",
        HEADER
        + done.format(coder="anna")
        + f"{s['s5']},humanitarianism,add,anna,,{T.format(1)}\n"
        + f"{s['s2']},advocacy,remove,anna,,{T.format(3)}\n",
    )
    write(
        decisions / "ben.csv",
        HEADER
        + done.format(coder="ben")
        + f"{s['s5']},humanitarianism,add,ben,,{T.format(2)}\n"
        + f"{s['s3']},litigation,add,ben,,{T.format(4)}\n",
    )
    code_corpus(out, decisions)
    return out, s


def totals(out: Path, *args: str) -> dict[str, int]:
    """`qualcode freq --format csv` as {code: Total}."""
    result = run_cli(["freq", "--from", str(out), "--format", "csv", *args])
    assert result.exit_code == 0, result.stderr
    body = result.stdout.split("# frequencies\n")[1].split("\n\n")[0]
    return {row["code"]: int(row["Total"]) for row in csv.DictReader(io.StringIO(body))}


def counts(strategy: int, litigation: int, advocacy: int, humanitarianism: int) -> dict:
    return dict(zip(CODES, (strategy, litigation, advocacy, humanitarianism), strict=True))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--layer", "auto"], counts(3, 2, 2, 1)),
        (["--layer", "anna"], counts(2, 2, 1, 2)),
        (["--layer", "ben"], counts(4, 3, 2, 2)),
        # Both coders added humanitarianism to s5; the reviewer removed it: not counted.
        (["--layer", "final", "--reviewer", "rita"], counts(3, 3, 1, 1)),
        (["--reviewer", "rita"], counts(3, 3, 1, 1)),  # final is the default
        (["--layer", "final"], counts(3, 3, 1, 2)),  # rita is one more coder, deciding first
    ],
)
def test_freq_counts_the_layer_asked_for(coded, args, expected):
    out, _ = coded
    assert totals(out, *args) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # anna's view, her rows only: her add of humanitarianism on s5.
        (["--layer", "anna", "--coder", "anna"], counts(0, 0, 0, 1)),
        # In the final coding anna's only add was overruled by the reviewer.
        (["--layer", "final", "--reviewer", "rita", "--coder", "anna"], counts(0, 0, 0, 0)),
        # ben's add of litigation on s3 stands; his humanitarianism on s5 does not.
        (["--layer", "final", "--reviewer", "rita", "--coder", "ben"], counts(1, 1, 0, 0)),
        # The automatic rows left in the final coding: s1 lit, s3 hum, s4 lit and adv.
        (["--layer", "final", "--reviewer", "rita", "--coder", "auto"], counts(2, 2, 1, 1)),
        # The automatic layer has no row of any human coder.
        (["--layer", "auto", "--coder", "anna"], counts(0, 0, 0, 0)),
    ],
)
def test_coder_filter_on_a_layer_keeps_the_rows_that_coder_contributed(coded, args, expected):
    out, _ = coded
    assert totals(out, *args) == expected


FINAL_RITA = "layer: final (auto + 2 coders' decisions; reviewers: rita)"
# 5 decisions: rita 1, anna 2, ben 2 (done marks change no coding and are not decisions here).
AUTO = "layer: auto (the automatic coding only; 5 decision(s) ignored)"
ANNA = "layer: anna (auto + anna's 2 decision(s))"
FINAL = "layer: final (auto + 3 coders' decisions; reviewers: none)"


@pytest.mark.parametrize(
    ("command", "layer", "caption"),
    [
        (["freq"], ["--reviewer", "rita"], FINAL_RITA),
        (["freq"], ["--layer", "auto"], AUTO),
        (["freq", "--format", "csv"], ["--layer", "anna"], ANNA),
        (["matrix"], [], FINAL),
        (["cooccur", "--format", "json"], ["--layer", "auto"], AUTO),
        (["quotes", "--code", "litigation"], ["--layer", "anna"], ANNA),
        (["quotes", "--code", "litigation", "--format", "md"], [], FINAL),
        (["plot", "freq", "-o", "{tmp}/f.svg"], ["--layer", "auto"], AUTO),
    ],
)
def test_every_table_names_its_layer(coded, tmp_path, command, layer, caption):
    out, _ = coded
    args = [a.replace("{tmp}", str(tmp_path)) for a in command]
    result = run_cli([*args, "--from", str(out), *layer])
    assert result.exit_code == 0, result.stderr
    shown = " ".join((result.stdout + result.stderr).split())
    assert caption in shown


def test_the_terminal_title_names_the_layer(coded):
    out, _ = coded
    result = run_cli(["freq", "--from", str(out), "--layer", "ben"])
    assert "Code frequencies (segments) · layer: ben" in " ".join(result.stdout.split())


def test_the_report_header_names_the_layer(coded, tmp_path):
    out, _ = coded
    page = tmp_path / "report.html"
    result = run_cli(["report", "--from", str(out), "-o", str(page), "--reviewer", "rita"])
    assert result.exit_code == 0, result.stderr
    text = html.unescape(page.read_text(encoding="utf-8"))
    assert f"Counts and passages: {FINAL_RITA}." in " ".join(text.split())


def test_unknown_layer_is_a_one_line_error(coded):
    out, _ = coded
    result = run_cli(["freq", "--from", str(out), "--layer", "zoe"])
    assert result.exit_code == 2
    assert " ".join(result.stderr.split()) == (
        "error: unknown layer 'zoe': use auto, final or a coder's name (coders: anna, ben, rita)"
    )


def test_reviewers_come_from_the_project_file(coded, tmp_path, monkeypatch):
    out, _ = coded
    (tmp_path / "qualcode.toml").write_text('reviewers = ["rita"]\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert totals(out.resolve()) == counts(3, 3, 1, 1)  # as with --reviewer rita
    result = run_cli(["freq", "--from", str(out.resolve())])
    assert FINAL_RITA in " ".join(result.stdout.split())


# --- the library ------------------------------------------------------------------------------


def test_auto_layer_rebuilds_the_removed_automatic_row_from_its_segment(coded):
    out, s = coded
    run = load_output(out)
    rows = layer_codings(run.segments, run.codings, run.overrides, "auto")
    # anna removed advocacy from s2, so the table lost that row; the auto layer has it back,
    # with the segment's span and no matched words.
    rebuilt = rows[(rows[m.SEGMENT_ID] == s["s2"]) & (rows[m.CODE] == "advocacy")]
    segment = run.segments[run.segments[m.SEGMENT_ID] == s["s2"]].iloc[0]
    assert len(rebuilt) == 1
    row = rebuilt.iloc[0]
    assert (row[m.SOURCE], row[m.CODER], row[m.PARENT]) == ("auto", "auto", "strategy")
    assert (row[m.START], row[m.END]) == (segment[m.START], segment[m.END])
    assert row[m.TRANSCRIPT_ID] == "t1" and row[m.COUNTRY] == "Spain"
    assert rows.dtypes.to_dict() == run.codings.dtypes.to_dict()


def test_final_layer_keeps_each_contributors_row(coded):
    out, s = coded
    run = load_output(out)
    rows = layer_codings(run.segments, run.codings, run.overrides, "final", ["rita"])
    on = {(r[m.SEGMENT_ID], r[m.CODE], r[m.CODER]) for _, r in rows.iterrows()}
    # s3: the automatic humanitarianism and ben's litigation; s5: nothing (rita removed it).
    assert {k for k in on if k[0] == s["s3"]} == {
        (s["s3"], "humanitarianism", "auto"),
        (s["s3"], "litigation", "ben"),
    }
    assert not {k for k in on if k[0] == s["s5"]}


@pytest.mark.parametrize(
    ("layer", "reviewers", "drop", "rebuilt"),
    [
        # The table as written has anna's and ben's s5 rows and lacks the automatic s2 row.
        ("auto", [], set(), [("s2", "advocacy")]),
        ("anna", [], set(), []),
        ("ben", [], set(), [("s2", "advocacy")]),  # ben never removed it
        ("final", ["rita"], {("anna", "s5"), ("ben", "s5")}, []),
        ("final", [], set(), []),  # the table as written: nothing to change
    ],
)
def test_layer_delta_is_worked_out_from_the_decisions_alone(coded, layer, reviewers, drop, rebuilt):
    out, s = coded
    names = {v: k for k, v in s.items()}
    delta = layer_delta(load_output(out).overrides, layer, reviewers)
    assert {(coder, names[seg]) for coder, seg, _ in delta.drop} == drop
    assert [(names[seg], code) for seg, code in delta.rebuilt] == rebuilt
    assert delta.keeps_table() == (layer == "final" and not reviewers)


def test_with_no_decision_every_layer_is_the_automatic_coding(tmp_path):
    out = tmp_path / "out"
    code_corpus(out)
    run = load_output(out)
    auto = {(s, c) for s, c in zip(run.codings[m.SEGMENT_ID], run.codings[m.CODE], strict=True)}
    for layer in ("auto", "final"):
        assert layer_pairs(run.segments, run.codings, run.overrides, layer) == auto
        assert describe_layer(run.overrides, layer).startswith(f"layer: {layer} (")


def test_dask_engine_counts_the_same_layers(coded):
    pytest.importorskip("dask.distributed", reason="dask[distributed] is in the test extra")
    out, _ = coded
    for layer in (["--layer", "auto"], ["--layer", "anna"], ["--reviewer", "rita"]):
        args = ["freq", "--from", str(out), "--by", "country", "--format", "csv", *layer]
        local = run_cli(args)
        dask = run_cli([*args, "--engine", "dask", "--workers", "1"])
        assert dask.exit_code == 0, dask.stderr
        assert dask.stdout == local.stdout


def test_a_reattached_decision_counts_on_the_segment_it_now_applies_to(tmp_path):
    # s5 "Nothing else." becomes "Nothing else, honestly.": a new segment id. anna's two adds
    # and rita's remove follow it by their quote. Final with reviewer rita: anna's litigation
    # stays on the new s5, her humanitarianism does not (rita's remove wins):
    # strategy 4 (s1 s2 s4 s5), litigation 3 (s1 s4 s5), advocacy 2, humanitarianism 1 (s3).
    corpus = tmp_path / "corpus"
    for name in ("t1.md", "t2.md"):
        write(corpus / name, (CORPUS / name).read_text(encoding="utf-8"))
    out = tmp_path / "out"
    args = ["code", str(corpus), "--codebook", str(CODEBOOK), "--out", str(out), "--quiet"]
    assert run_cli(args).exit_code == 0
    s5 = segment_ids(out)["s5"]
    head = "segment_id,code,action,coder,note,timestamp,start,end,quote,text_hash\n"
    row = "{},{},{},{},,{},,,Nothing else,\n"
    decisions = tmp_path / "decisions"
    write(
        decisions / "anna.csv",
        head
        + row.format(s5, "humanitarianism", "add", "anna", T.format(1))
        + row.format(s5, "litigation", "add", "anna", T.format(1)),
    )
    write(
        decisions / "rita.csv",
        head + row.format(s5, "humanitarianism", "remove", "rita", T.format(0)),
    )
    t2 = corpus / "t2.md"
    t2.write_text(
        t2.read_text(encoding="utf-8").replace("Nothing else.", "Nothing else, honestly.")
    )
    assert run_cli([*args, "--overrides", str(decisions)]).exit_code == 0
    assert load_output(out).overrides[m.STATUS].tolist() == ["reattached"] * 3
    assert totals(out, "--reviewer", "rita") == counts(4, 3, 2, 1)
