"""`qualcode agree` end to end: code the mini corpus, add two coders' overrides, compare.

Participant segments of the mini corpus and their automatic codes (interviewer turns are left
out of the comparison):

    en_one   P1 "Yes. We filed a lawsuit ..."        litigation, advocacy
    en_one   P2 "We fill the gap, honestly. ..."     humanitarianism
    es_three P1 "Presentamos un recurso. ..."        litigation
    es_three P2 "Tapamos el hueco ..."               humanitarianism
    it_two   P1 "Abbiamo presentato un ricorso ..."  litigation, advocacy
    it_two   P2 "Prego."                             -

anna codes en_one and it_two; ben codes en_one, it_two and es_three. On the four segments both
coded (en_one P1, en_one P2, it_two P1, it_two P2):

    litigation       anna 1 1 1 0   ben 1 0 1 0   auto 1 0 1 0
    advocacy         anna 0 0 1 0   ben 1 0 0 0   auto 1 0 1 0  (anna removed auto's en_one P1)
    humanitarianism  anna 0 1 0 0   ben 0 0 0 0   auto 0 1 0 0
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import run_cli, write
from qualcode import models as m
from qualcode.coding.api import code_corpus

HEADER = "segment_id,code,action,coder,note,timestamp\n"


def _segment(result, transcript: str, startswith: str) -> str:
    s = result.segments
    rows = s[(s[m.TRANSCRIPT_ID] == transcript) & s[m.TEXT].str.startswith(startswith)]
    assert len(rows) == 1
    return rows[m.SEGMENT_ID].iloc[0]


@pytest.fixture
def coded(tmp_path: Path, mini_corpus: Path, mini_codebook: Path) -> Path:
    """The output folder of the mini corpus with anna's and ben's decisions applied."""
    base = code_corpus(mini_corpus, mini_codebook)
    en1, en2 = _segment(base, "en_one", "Yes. We filed"), _segment(base, "en_one", "We fill")
    it1 = _segment(base, "it_two", "Abbiamo")
    es1 = _segment(base, "es_three", "Presentamos")
    t = "2025-02-01T10:00:0"
    write(
        tmp_path / "ov" / "anna.csv",
        HEADER
        + f"{en1},litigation,add,anna,,{t}1\n"
        + f"{en1},advocacy,remove,anna,press only,{t}2\n"
        + f"{en2},humanitarianism,add,anna,,{t}3\n"
        + f"{en2},litigation,add,anna,,{t}4\n"
        + f"{it1},litigation,add,anna,,{t}5\n"
        + f"{it1},advocacy,add,anna,,{t}6\n",
    )
    write(
        tmp_path / "ov" / "ben.csv",
        HEADER
        + f"{en1},litigation,add,ben,,{t}1\n"
        + f"{en1},advocacy,add,ben,,{t}2\n"
        + f"{it1},litigation,add,ben,,{t}3\n"
        + f"{es1},litigation,add,ben,,{t}4\n",
    )
    out = tmp_path / "out"
    result = run_cli(
        [
            "code",
            str(mini_corpus),
            "--codebook",
            str(mini_codebook),
            "--out",
            str(out),
            "--overrides",
            str(tmp_path / "ov"),
            "--quiet",
        ]
    )
    assert result.exit_code == 0, result.stderr
    return out


def _json(args: list[str]) -> dict:
    result = run_cli([*args, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _by_code(rows: list[dict], key: str = "code") -> dict[str, dict]:
    return {r[key]: r for r in rows}


def test_agree_two_humans_at_segment_level_matches_hand_computation(coded):
    tables = _json(["agree", "--from", str(coded), "--coders", "anna,ben"])
    rows = _by_code(tables["agreement"])
    # litigation: both 2, only anna 1, only ben 0, neither 1: p_o = 3/4;
    # kappa = 2(ad - bc) / ((a+b)(b+d) + (a+c)(c+d)) = 2(2 - 0) / (3*2 + 2*1) = 0.5
    lit = rows["litigation"]
    assert [lit[c] for c in ("units", "both", "only_a", "only_b", "neither")] == [4, 2, 1, 0, 1]
    assert lit["percent_agreement"] == pytest.approx(0.75)
    assert lit["cohen_kappa"] == pytest.approx(0.5)
    # advocacy: both 0, only anna 1, only ben 1, neither 2: p_o = 1/2;
    # kappa = 2(0*2 - 1*1) / (1*3 + 1*3) = -1/3
    assert rows["advocacy"]["cohen_kappa"] == pytest.approx(-1 / 3)
    # humanitarianism: (0, 1, 0, 3): p_o = 3/4, kappa = 0 / 4 = 0; alpha: n_1 = 1, n_0 = 7,
    # 1 - (2*4 - 1) * 1 / (7 * 1) = 0; AC1: pi = 1/8, p_e = 2 * 1/8 * 7/8 = 0.21875,
    # (0.75 - 0.21875) / 0.78125 = 0.68; Brennan-Prediger (0.75 - 0.5) / 0.5 = 0.5;
    # Fleiss (Scott): p_e = 1/64 + 49/64, (0.75 - 0.78125) / 0.21875 = -1/7.
    hum = rows["humanitarianism"]
    assert hum["cohen_kappa"] == pytest.approx(0.0)
    assert hum["krippendorff_alpha"] == pytest.approx(0.0)
    assert hum["gwet_ac1"] == pytest.approx(0.68)
    assert hum["brennan_prediger"] == pytest.approx(0.5)
    assert hum["fleiss_kappa"] == pytest.approx(-1 / 7)
    # pooled over 12 decisions: (2, 3, 1, 6): p_o = 8/12, kappa = 2(12 - 3)/(5*9 + 3*7) = 3/11;
    # macro: mean of (0.75, 0.5, 0.75) and of (0.5, -1/3, 0).
    assert rows["(pooled)"]["percent_agreement"] == pytest.approx(2 / 3)
    assert rows["(pooled)"]["cohen_kappa"] == pytest.approx(3 / 11)
    assert rows["(macro average)"]["percent_agreement"] == pytest.approx(2 / 3)
    assert rows["(macro average)"]["cohen_kappa"] == pytest.approx((0.5 - 1 / 3) / 3)
    codes = ["litigation", "advocacy", "humanitarianism", "(macro average)", "(pooled)"]
    assert list(rows) == codes
    summary = {r["key"]: r["value"] for r in tables["summary"]}
    assert summary["unit"] == "segment"
    assert summary["agreed_absent"] == "1"  # it_two P2 "Prego." nobody coded


def test_transcript_only_one_coder_saw_is_an_exclusion_not_an_error(coded):
    tables = _json(["agree", "--from", str(coded), "--coders", "anna,ben"])
    assert tables["exclusions"] == [
        {"transcript_id": "es_three", "coded_by": "ben", "missing_for": "anna", "compared": False}
    ]
    result = run_cli(["agree", "--from", str(coded), "--coders", "anna,ben"])
    assert result.exit_code == 0
    assert "excluded (coded only by ben): es_three" in result.stdout


def test_terminal_table_names_the_unit_and_shows_pooled_rows(coded):
    result = run_cli(["agree", "--from", str(coded), "--coders", "anna,ben"])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "unit: segment (turn)" in out and "A = anna, B = ben" in out
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    # litigation row: both, only A, only B, neither, agreement, Cohen kappa, ...
    assert lines["litigation"][1:7] == ["2", "1", "0", "1", "0.750", "0.500"]
    assert lines["(pooled)"][1:7] == ["2", "3", "1", "6", "0.667", "0.273"]
    assert "4 segments × 3 codes; 1 segment coded by no coder" in out


def test_gold_reports_precision_recall_and_lists_false_positives_and_negatives(coded):
    tables = _json(
        [
            "agree",
            "--from",
            str(coded),
            "--gold",
            "anna",
            "--coders",
            "auto",
            "--show-disagreements",
        ]
    )
    gold = _by_code(tables["gold"])
    # litigation: anna 1110 vs auto 1010 -> TP 2, FP 0, FN 1: P 1, R 2/3, F1 4/5.
    assert [gold["litigation"][c] for c in ("tp", "fp", "fn")] == [2, 0, 1]
    assert gold["litigation"]["recall"] == pytest.approx(2 / 3)
    assert gold["litigation"]["f1"] == pytest.approx(0.8)
    # advocacy: auto still has en_one P1 (anna removed it from the final coding, but the raw
    # automatic coding had it): anna 0010 vs auto 1010 -> TP 1, FP 1: precision 1/2.
    assert [gold["advocacy"][c] for c in ("tp", "fp", "fn")] == [1, 1, 0]
    assert gold["advocacy"]["precision"] == pytest.approx(0.5)
    # pooled: TP 4, FP 1, FN 1 -> 0.8 each.
    assert gold["(pooled)"]["precision"] == pytest.approx(0.8)
    assert gold["(pooled)"]["recall"] == pytest.approx(0.8)
    listed = [
        (d["code"], d["coded_by"], d["not_coded_by"], d["kind"], d["text"][:14])
        for d in tables["disagreements"]
    ]
    assert listed == [
        ("advocacy", "auto", "anna", "false positive", "Yes. We filed "),
        ("litigation", "anna", "auto", "false negative", "We fill the ga"),
    ]


def test_show_disagreements_prints_segment_transcript_coders_and_text(coded):
    result = run_cli(
        [
            "agree",
            "--from",
            str(coded),
            "--gold",
            "anna",
            "--coders",
            "auto",
            "--show-disagreements",
        ]
    )
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Disagreements (2)" in out
    assert "advocacy: coded by auto, not by anna  false positive" in out
    assert "litigation: coded by anna, not by auto  false negative" in out
    assert "We fill the gap, honestly." in out
    assert "(en_one, characters" in out and "en_one.t." in out
    assert "Precision, recall and F1 against gold anna" in out


@pytest.mark.parametrize("unit", ["char", "span"])
def test_other_units_run_and_are_named(coded, unit):
    tables = _json(["agree", "--from", str(coded), "--coders", "anna,ben", "--unit", unit])
    summary = {r["key"]: r["value"] for r in tables["summary"]}
    assert summary["unit"] == unit
    rows = _by_code(tables["agreement"])
    if unit == "span":
        # Passages are whole segments: litigation anna 3 (en_one P1, P2, it_two P1), ben 2;
        # the two shared ones match: (2 + 2) / (3 + 2) = 0.8.
        lit = rows["litigation"]
        assert [lit[c] for c in ("passages_a", "matched_a", "passages_b", "matched_b")] == [
            3,
            2,
            2,
            2,
        ]
        assert lit["percent_agreement"] == pytest.approx(0.8)
    else:
        # Characters of en_one P2 (70) are coded litigation by anna only.
        assert rows["litigation"]["only_a"] == 70
        assert rows["litigation"]["only_b"] == 0


def test_bootstrap_columns_and_seed(coded):
    one = _json(
        ["agree", "--from", str(coded), "--coders", "anna,ben", "--bootstrap", "50", "--seed", "3"]
    )
    two = _json(
        ["agree", "--from", str(coded), "--coders", "anna,ben", "--bootstrap", "50", "--seed", "3"]
    )
    assert "kappa_low" in one["agreement"][0]
    assert one["agreement"] == two["agreement"]


def test_coders_all_means_every_human_coder(coded):
    tables = _json(["agree", "--from", str(coded), "--coders", "all"])
    summary = {r["key"]: r["value"] for r in tables["summary"]}
    assert summary["coders"] == "anna, ben"
    tables = _json(["agree", "--from", str(coded), "--coders", "all,auto"])
    summary = {r["key"]: r["value"] for r in tables["summary"]}
    assert summary["coders"] == "anna, ben, auto"
    assert "fleiss_kappa" in tables["agreement"][0]
    assert "cohen_kappa" not in tables["agreement"][0]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "md", "json"])
def test_output_file_in_every_format(coded, tmp_path, fmt):
    target = tmp_path / f"agreement.{fmt}"
    result = run_cli(
        [
            "agree",
            "--from",
            str(coded),
            "--coders",
            "anna,ben",
            "--show-disagreements",
            "-o",
            str(target),
        ]
    )
    assert result.exit_code == 0, result.stderr
    if fmt == "csv":
        text = (tmp_path / "agreement-agreement.csv").read_text(encoding="utf-8")
        assert text.splitlines()[1].startswith("litigation,4,2,1,0,1,0.75,0.5,")
        assert (tmp_path / "agreement-disagreements.csv").exists()
    elif fmt == "xlsx":
        from openpyxl import load_workbook

        book = load_workbook(target)
        assert book.sheetnames == ["agreement", "exclusions", "disagreements", "summary"]
        assert [c.value for c in book["agreement"][2]][:6] == ["litigation", 4, 2, 1, 0, 1]
    elif fmt == "md":
        assert "## agreement" in target.read_text(encoding="utf-8")
    else:
        assert json.loads(target.read_text(encoding="utf-8"))["agreement"][0]["both"] == 2


def test_codings_csv_adds_coders_from_other_software(coded, tmp_path):
    # en_one's canonical text: "INT: Did you go to court?\n\nP: Yes. We filed a lawsuit ..."
    # P1 spans [30, 126); an NVivo coder codes litigation on [34, 72) and marks it_two coded.
    csv = write(
        tmp_path / "nvivo.csv",
        "transcript_id,coder,code,start,end\nen_one,nv,litigation,34,72\nit_two,nv,,,\n",
    )
    tables = _json(
        ["agree", "--from", str(coded), "--coders", "anna,nv", "--codings-csv", str(csv)]
    )
    lit = _by_code(tables["agreement"])["litigation"]
    # nv codes en_one P1 only: anna 1 1 1 0, nv 1 0 0 0 -> both 1, only anna 2, neither 1.
    assert [lit[c] for c in ("both", "only_a", "only_b", "neither")] == [1, 2, 0, 1]


# --------------------------------------------------------------------------- --methods

# Numbers the paragraph may hold that are not the run's: Krippendorff's thresholds and the
# years of the works it cites.
_FIXED = {"0.800", "0.667", "2004", "1990", "2008"}
_NUMBER = re.compile(r"(?<![\w.,-])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?!\w)")


def _allowed_numbers(tables: dict) -> set[str]:
    """Every number of the JSON tables as the paragraph may show it: counts (with or without
    thousands separators), values to three decimals or as a percentage with one, the counts
    each coder applied a code to (both + only_a, both + only_b) and the exclusions by kind."""
    allowed = set(_FIXED)

    def add(value) -> None:
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
            allowed.update({str(int(value)), f"{int(value):,}"})
        if isinstance(value, float):
            allowed.update({f"{value:.3f}", f"{100 * value:.1f}", f"{100 * value:g}"})

    for row in tables["agreement"] + tables.get("gold", []):
        for value in row.values():
            add(value)
        if "both" in row and row["both"] is not None:
            add(row["both"] + row["only_a"])
            add(row["both"] + row["only_b"])
    summary = {r["key"]: r["value"] for r in tables["summary"]}
    for key in ("transcripts_compared", "units", "agreed_absent", "bootstrap", "seed"):
        if summary.get(key) not in (None, ""):
            add(int(summary[key]))
    for key in ("level", "min_overlap"):
        if summary.get(key) not in (None, ""):
            add(float(summary[key]))
    add(len(summary["codes"].split(", ")))
    kinds: dict[tuple, int] = {}
    for row in tables["exclusions"]:
        kind = (row["compared"], row["coded_by"] if not row["compared"] else "")
        kinds[kind] = kinds.get(kind, 0) + 1
    for n in kinds.values():
        add(n)
    return allowed


@pytest.mark.parametrize(
    "args",
    [
        ["--coders", "anna,ben"],
        ["--coders", "anna,ben", "--bootstrap", "50", "--seed", "3"],
        ["--coders", "all,auto"],
        ["--coders", "anna,ben", "--unit", "char"],
        ["--coders", "anna,ben", "--unit", "span"],
        ["--gold", "anna", "--coders", "auto"],
    ],
)
def test_methods_paragraph_numbers_equal_the_tables(coded, args):
    from qualcode import __version__

    tables = _json(["agree", "--from", str(coded), *args])
    result = run_cli(["agree", "--from", str(coded), *args, "--methods"])
    assert result.exit_code == 0, result.stderr
    paragraph = result.stdout.strip()
    assert "\n" not in paragraph
    assert f"qualcode {__version__}" in paragraph
    numbers = _NUMBER.findall(paragraph.replace(f"qualcode {__version__}", ""))
    assert numbers, "the paragraph has no numbers to check"
    assert sorted(set(numbers) - _allowed_numbers(tables)) == []
    summary = {r["key"]: r["value"] for r in tables["summary"]}
    noun = {"segment": "segment", "char": "character", "span": "passage"}[summary["unit"]]
    assert f"the {summary['transcripts_compared']} transcripts coded by" in paragraph
    assert f"({int(summary['units']):,} {noun}s" in paragraph
    for row in tables["agreement"]:
        if row["code"].startswith("("):
            continue
        if summary["unit"] == "span":
            expected = f"{row['code']} {100 * row['percent_agreement']:.1f}%"
        elif row["krippendorff_alpha"] is None:
            expected = f"{row['code']} α undefined"
        else:
            expected = f"{row['code']} α = {row['krippendorff_alpha']:.3f}"
            if "alpha_low" in row and row["alpha_low"] is not None:
                expected += f" [{row['alpha_low']:.3f}, {row['alpha_high']:.3f}]"
        assert expected in paragraph


def test_methods_names_coders_unit_and_exclusions(coded):
    result = run_cli(["agree", "--from", str(coded), "--coders", "anna,ben", "--methods"])
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    # es_three was coded by ben only (see the module docstring); every transcript has a coder.
    assert text.startswith("Agreement between two coders, anna and ben, who coded the same")
    assert "The unit of comparison was the speaker turn" in text
    assert "covered the 2 transcripts coded by both coders (4 segments;" in text
    assert "It left out the 1 transcript coded only by ben (es_three)." in text
    # litigation (both 2, only anna 1, only ben 0, neither 1): alpha over n = 8 pairable
    # values, n_1 = 5, n_0 = 3, o_01 = 1 (the one split unit): 1 - 7 * 1 / 15 = 0.533;
    # kappa 0.5 (see above); AC1: pi = 5/8, p_e = 2 * 5/8 * 3/8 = 0.46875,
    # (0.75 - 0.46875) / 0.53125 = 0.529; p_o = 3/4.
    assert "litigation α = 0.533 (κ = 0.500, AC1 = 0.529, 75.0% agreement)" in text
    # advocacy (0, 1, 1, 2): n_1 = 2, n_0 = 6, o_01 = 2: 1 - 7 * 2 / 12 = -0.167
    assert "advocacy α = -0.167 (κ = -0.333" in text
    # every alpha is below 0.667
    assert "litigation, advocacy and humanitarianism fell below 0.667" in text


def test_methods_with_format_but_no_file_is_refused(coded):
    result = run_cli(
        ["agree", "--from", str(coded), "--coders", "anna,ben", "--methods", "--format", "json"]
    )
    assert result.exit_code == 2
    assert "--methods prints a paragraph, not tables" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""


def test_methods_with_a_file_writes_the_tables_too(coded, tmp_path):
    target = tmp_path / "agreement.json"
    args = ["agree", "--from", str(coded), "--coders", "anna,ben", "--methods", "-o", str(target)]
    result = run_cli(args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Agreement between two coders")
    assert json.loads(target.read_text(encoding="utf-8"))["agreement"][0]["code"] == "litigation"


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--coders", "anna"],
            "agreement needs at least two coders, got only 'anna' (known coders: auto, anna, ben)",
        ),
        (["--coders", "anna,zoe"], "unknown coder zoe; known coders: auto, anna, ben"),
        (["--coders", "anna,ben,auto", "--unit", "span"], "compares exactly two coders"),
        (["--coders", "anna,ben", "--code", "nope"], "unknown code(s) nope"),
    ],
)
def test_bad_requests_exit_2_with_one_line_and_no_traceback(coded, args, message):
    result = run_cli(["agree", "--from", str(coded), *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1


def test_malformed_codings_csv_lists_every_bad_line(coded, tmp_path):
    csv = write(
        tmp_path / "bad.csv",
        "transcript_id,coder,code,start,end\n"
        "en_one,nv,litigation,40,40\n"  # end <= start
        "en_one,nv,litigation,0,999\n"  # beyond the text (222 characters)
        "xx_nine,nv,litigation,0,5\n"  # unknown transcript
        "en_one,nv,litigation,0,5\n",  # fine
    )
    result = run_cli(
        ["agree", "--from", str(coded), "--coders", "anna,nv", "--codings-csv", str(csv)]
    )
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3
    assert f"{csv}:2: end 40 must be greater than start 40" in lines[0]
    assert f"{csv}:3: end 999 is beyond the text of 'en_one' (222 characters)" in lines[1]
    assert f"{csv}:4: unknown transcript 'xx_nine'" in lines[2]
    assert "Traceback" not in result.stderr


def test_codings_csv_without_a_column_is_reported_on_line_1(coded, tmp_path):
    csv = write(tmp_path / "bad.csv", "transcript_id,coder,code,start\nen_one,nv,litigation,4\n")
    result = run_cli(
        ["agree", "--from", str(coded), "--coders", "anna,nv", "--codings-csv", str(csv)]
    )
    assert result.exit_code == 2
    assert f"{csv}:1: missing column(s) end" in result.stderr


def test_missing_output_folder_is_a_one_line_error(tmp_path):
    result = run_cli(["agree", "--from", str(tmp_path / "nowhere"), "--coders", "a,b"])
    assert result.exit_code == 2
    assert "output folder not found" in result.stderr


def test_help_shows_examples():
    result = run_cli(["agree", "--help"])
    assert result.exit_code == 0
    assert "--gold coder_b --coders auto --show-disagreements" in result.stdout
    assert "--unit" in result.stdout and "--codings-csv" in result.stdout
