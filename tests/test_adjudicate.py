"""`qualcode adjudicate`: a reviewer settles two coders' disagreements, resumably.

The corpus of tests/data/layers (see its README and tests/test_layers.py):

    s1 (t1) litigation    s2 (t1) advocacy    s3 (t1) humanitarianism
    s4 (t2) litigation, advocacy              s5 (t2) none

anna and ben each mark t1 and t2 done; their decisions:

    anna  T1  add    advocacy s1
    ben   T2  add    humanitarianism s5
    anna  T3  add    humanitarianism s5
    anna  T4  remove advocacy s2        (an automatic coding)
    ben   T5  add    litigation s3

Their views (auto + own decisions), worked out by hand:

    anna: s1 lit adv | s3 hum | s4 lit adv | s5 hum
    ben:  s1 lit     | s2 adv | s3 hum lit | s4 lit adv | s5 hum

so they disagree on three (segment, code), in transcript then codebook order
(strategy, litigation, advocacy, humanitarianism):

    D1 s1 advocacy     anna has it (added it), ben does not (did not code it)
    D2 s2 advocacy     ben has it (the automatic coding he kept), anna removed it
    D3 s3 litigation   ben has it (added it), anna does not

and agree on s5 humanitarianism (both added it).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import run_cli, write
from qualcode.cli import app
from qualcode.cli.render import terminal_safe
from test_layers import HEADER, T, code_corpus, segment_ids


@pytest.fixture
def coded(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    out = tmp_path / "out"
    code_corpus(out)
    s = segment_ids(out)
    done = "".join(f"{t},*,done,{{coder}},,{T.format(0)}\n" for t in ("t1", "t2"))
    decisions = tmp_path / "decisions"
    write(
        decisions / "anna.csv",
        HEADER
        + done.format(coder="anna")
        + f"{s['s1']},advocacy,add,anna,,{T.format(1)}\n"
        + f"{s['s5']},humanitarianism,add,anna,,{T.format(3)}\n"
        + f"{s['s2']},advocacy,remove,anna,,{T.format(4)}\n",
    )
    write(
        decisions / "ben.csv",
        HEADER
        + done.format(coder="ben")
        + f"{s['s5']},humanitarianism,add,ben,,{T.format(2)}\n"
        + f"{s['s3']},litigation,add,ben,,{T.format(5)}\n",
    )
    code_corpus(out, decisions)
    return out, decisions, s


def recorded(decisions: Path, s: dict[str, str]) -> list[tuple[str, str, str, str]]:
    """rita's decision rows as (segment name, code, action, note)."""
    names = {v: k for k, v in s.items()}
    with (decisions / "rita.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [(names[r["segment_id"]], r["code"], r["action"], r["note"]) for r in rows]


def adjudicate(out: Path, *args: str):
    return run_cli(["adjudicate", "--from", str(out), "--coders", "anna,ben", *args])


NOTE = "adjudicated anna vs ben: --accept {}"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        # union keeps every code either coder has: three adds.
        ("union", [("s1", "advocacy", "add"), ("s2", "advocacy", "add"), ("s3", "litigation", "add")]),  # noqa: E501
        # intersection keeps only what both have: three removes.
        ("intersection", [("s1", "advocacy", "remove"), ("s2", "advocacy", "remove"), ("s3", "litigation", "remove")]),  # noqa: E501
        # anna's view wins: she has D1, lacks D2 and D3.
        ("anna", [("s1", "advocacy", "add"), ("s2", "advocacy", "remove"), ("s3", "litigation", "remove")]),  # noqa: E501
        # ben's view wins: the other way round.
        ("ben", [("s1", "advocacy", "remove"), ("s2", "advocacy", "add"), ("s3", "litigation", "add")]),  # noqa: E501
    ],
)  # fmt: skip
def test_accept_records_exactly_the_expected_decisions_once(coded, accept, expected):
    out, decisions, s = coded
    first = adjudicate(out, "--reviewer", "rita", "--dir", str(decisions), "--accept", accept)
    assert first.exit_code == 0, first.stderr
    assert "Recorded 3 decision(s)" in " ".join(first.stdout.split())
    assert recorded(decisions, s) == [(*row, NOTE.format(accept)) for row in expected]
    # Resumable: every disagreement now has a later decision of rita's.
    again = adjudicate(out, "--reviewer", "rita", "--dir", str(decisions), "--accept", accept)
    assert again.exit_code == 0, again.stderr
    assert "Recorded 0 decision(s)" in " ".join(again.stdout.split())
    assert len(recorded(decisions, s)) == 3


def test_accept_after_rerunning_code_makes_final_follow_the_accepted_coder(coded):
    out, decisions, _ = coded
    accepted = adjudicate(out, "--reviewer", "rita", "--dir", str(decisions), "--accept", "ben")
    assert accepted.exit_code == 0, accepted.stderr
    code_corpus(out, decisions)
    freq = ["freq", "--from", str(out), "--format", "csv"]
    final = run_cli([*freq, "--reviewer", "rita"]).stdout
    # ben's view: strategy 4, litigation 3, advocacy 2, humanitarianism 2 (tests/test_layers.py).
    assert final == run_cli([*freq, "--layer", "ben"]).stdout
    assert "strategy,4\nlitigation,3\nadvocacy,2\nhumanitarianism,2\n" in final


def test_a_coders_later_decision_opens_a_disagreement_again(coded):
    out, decisions, s = coded
    adjudicate(out, "--reviewer", "rita", "--dir", str(decisions), "--accept", "intersection")
    # anna adds advocacy to s1 again, after rita removed it: D1 is open again, D2 and D3 not.
    with (decisions / "anna.csv").open("a", encoding="utf-8") as handle:
        handle.write(f"{s['s1']},advocacy,add,anna,,2099-01-01T00:00:00+00:00\n")
    code_corpus(out, decisions)
    again = adjudicate(out, "--reviewer", "rita", "--dir", str(decisions), "--accept", "union")
    assert again.exit_code == 0, again.stderr
    assert recorded(decisions, s)[3:] == [("s1", "advocacy", "add", NOTE.format("union"))]


def test_interactive_keep_drop_quit_records_two_decisions_and_stops(coded):
    out, decisions, s = coded
    args = ["adjudicate", "--from", str(out), "--coders", "anna,ben", "--reviewer", "rita"]
    args += ["--dir", str(decisions)]
    result = CliRunner().invoke(app, args, input="k\nd\nq\n")
    assert result.exit_code == 0, result.output
    note = "adjudicated anna vs ben"
    # D1 kept (add), D2 dropped (remove), quit before D3.
    assert recorded(decisions, s) == [
        ("s1", "advocacy", "add", note),
        ("s2", "advocacy", "remove", note),
    ]
    shown = " ".join(result.output.split())
    assert "3 disagreement(s) between anna and ben to settle on 2 transcript(s)" in shown
    assert f"[1/3] {s['s1']} · t1 · speaker P" in shown
    assert "advocacy: anna added it; ben did not code it (automatic coding: no)" in shown
    assert "advocacy: anna removed the automatic coding; ben kept the automatic coding" in shown
    assert "[3/3]" in shown and "Recorded 2 decision(s)" in shown
    # Resumed: only D3 is left.
    resumed = CliRunner().invoke(app, args, input="q\n")
    assert "1 disagreement(s) between anna and ben" in " ".join(resumed.output.split())
    assert "(2 decided earlier)" in " ".join(resumed.output.split())


def test_segment_text_is_shown_as_written_never_as_markup(coded):
    out, decisions, _ = coded
    args = ["adjudicate", "--from", str(out), "--coders", "anna,ben", "--reviewer", "rita"]
    result = CliRunner().invoke(app, [*args, "--dir", str(decisions)], input="q\n")
    # s1 holds rich markup in its text: printed literally.
    assert "We filed a lawsuit. It was [bold]hard[/bold]." in result.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain text", "plain text"),
        ("keep\nnew lines\tand tabs", "keep\nnew lines\tand tabs"),
        ("\x1b[31mred\x07", "\ufffd[31mred\ufffd"),  # an escape sequence loses its ESC
        ("over\rwrite", "over\ufffdwrite"),  # a carriage return could hide what came before
        ("a\u202eb", "a\ufffdb"),  # a bidi override reorders the line
        ("\x9b2J", "\ufffd2J"),  # the one-byte CSI of C1 controls
    ],
)
def test_terminal_safe_replaces_control_characters_one_for_one(text, expected):
    assert terminal_safe(text) == expected
    assert len(terminal_safe(text)) == len(text)  # highlight offsets still hold


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--coders", "anna,rita", "--reviewer", "rita"], "error: not a human coder of this output folder: rita (coders: anna, ben)"),  # noqa: E501
        (["--coders", "anna,ben", "--reviewer", "ben"], "error: the reviewer 'ben' must not be one of the coders compared"),  # noqa: E501
        (["--coders", "anna", "--reviewer", "rita"], "error: name two different coders, e.g. --coders a,b (got anna)"),  # noqa: E501
        (["--coders", "anna,ben", "--reviewer", "rita", "--accept", "both"], "error: --accept takes one of the coders compared (anna, ben), union or intersection, not 'both'"),  # noqa: E501
        (["--coders", "anna,ben", "--reviewer", "rita", "--code", "lawsuits"], "error: unknown code(s) lawsuits; known codes: strategy, litigation, advocacy, humanitarianism"),  # noqa: E501
    ],
)  # fmt: skip
def test_bad_requests_are_one_line_errors_and_write_nothing(coded, args, message):
    out, decisions, _ = coded
    result = run_cli(["adjudicate", "--from", str(out), "--dir", str(decisions), *args])
    assert result.exit_code == 2
    assert " ".join(result.stderr.split()) == message
    assert not (decisions / "rita.csv").exists()


def test_without_dir_the_decisions_go_to_the_folder_the_run_read(coded):
    out, decisions, s = coded
    result = adjudicate(out, "--reviewer", "rita", "--accept", "union")
    assert result.exit_code == 0, result.stderr
    assert len(recorded(decisions, s)) == 3


def test_codes_limit_what_is_compared(coded):
    out, decisions, s = coded
    # --code strategy brings litigation and advocacy: all three; --code litigation: D3 only.
    only = ["--accept", "ben", "--code", "litigation"]
    result = adjudicate(out, "--reviewer", "rita", "--dir", str(decisions), *only)
    assert result.exit_code == 0, result.stderr
    assert recorded(decisions, s) == [("s3", "litigation", "add", NOTE.format("ben"))]


def test_a_reviewer_is_not_a_coder_for_agreement(coded):
    """After rita adjudicates, `agree --coders all` compares anna and ben only when rita is named
    as a reviewer (or in the project file); without it she would count as a third coder."""
    out, decisions, _ = coded
    accepted = adjudicate(out, "--reviewer", "rita", "--dir", str(decisions), "--accept", "ben")
    assert accepted.exit_code == 0, accepted.stderr
    code_corpus(out, decisions)
    agree = ["agree", "--from", str(out), "--coders", "all", "--format", "json"]
    with_reviewer = run_cli([*agree, "--reviewer", "rita"])
    assert with_reviewer.exit_code == 0, with_reviewer.stderr
    assert _coders(with_reviewer.stdout) == "anna, ben"
    assert _coders(run_cli(agree).stdout) == "anna, ben, rita"


def _coders(agree_json: str) -> str:
    summary = json.loads(agree_json)["summary"]
    return next(row["value"] for row in summary if row["key"] == "coders")
