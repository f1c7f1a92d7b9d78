"""Agreement units and the agreement() API on small hand-built outputs, checked by hand.

The outputs here are built directly (tables + transcripts.parquet), so every offset is known:

    transcript t1, 100 characters:  s0 [0,10) interviewer | s1 [12,50) | s2 [52,60) interviewer |
                                    s3 [62,100)
    compared characters (interviewer turns left out) = 100 - 10 - 8 = 82

and the external codings (--codings-csv) of coders x and y are

    lit  x: [0,10) [12,50) [70,90)     y: [20,50) [80,100)
    adv  x: [62,100)                   y: (none)
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import write
from qualcode import models as m
from qualcode.errors import AgreementError
from qualcode.output.folder import CodedOutput, write_table
from qualcode.reliability import binary, stats
from qualcode.reliability.agreement import AgreementResult, agreement
from qualcode.reliability.units import coders_from_output, merge_passages, overlap_ratio

TEXT = "".join(chr(ord("a") + i % 26) for i in range(100))
SEGMENTS = [
    ("t1.s0", "t1", 0, 10, True),
    ("t1.s1", "t1", 12, 50, False),
    ("t1.s2", "t1", 52, 60, True),
    ("t1.s3", "t1", 62, 100, False),
]
CODES = [("strategy", None), ("lit", "strategy"), ("adv", "strategy")]
EXTERNAL = """\
transcript_id,coder,code,start,end
t1,x,lit,0,10
t1,x,lit,12,50
t1,x,lit,70,90
t1,x,adv,62,100
t1,y,lit,20,50
t1,y,lit,80,100
"""


def build_output(
    folder: Path,
    texts: dict[str, str],
    segments: list[tuple],
    codings: list[tuple] = (),
    overrides: list[tuple] = (),
    codes: list[tuple] = CODES,
) -> CodedOutput:
    """An output folder's tables: segments (id, transcript, start, end, interviewer), codings
    (segment, code, coder) -- coder 'auto' is automatic -- and overrides (segment, code, action,
    coder, status, removed_auto)."""
    folder.mkdir(parents=True, exist_ok=True)
    seg = pd.DataFrame(
        [
            {
                m.SEGMENT_ID: s,
                m.TRANSCRIPT_ID: t,
                m.SEGMENT_INDEX: i,
                m.IS_INTERVIEWER: interviewer,
                m.START: start,
                m.END: end,
                m.TEXT: texts[t][start:end],
            }
            for i, (s, t, start, end, interviewer) in enumerate(segments)
        ]
    )
    where = seg.set_index(m.SEGMENT_ID)
    cod = pd.DataFrame(
        [
            {
                m.SEGMENT_ID: s,
                m.TRANSCRIPT_ID: where.loc[s, m.TRANSCRIPT_ID],
                m.CODE: code,
                m.SOURCE: m.SOURCE_AUTO if coder == m.AUTO_CODER else m.SOURCE_MANUAL,
                m.CODER: coder,
                m.START: where.loc[s, m.START],
                m.END: where.loc[s, m.END],
            }
            for s, code, coder in codings
        ],
        columns=[m.SEGMENT_ID, m.TRANSCRIPT_ID, m.CODE, m.SOURCE, m.CODER, m.START, m.END],
    )
    ov = pd.DataFrame(
        [
            {
                m.SEGMENT_ID: s,
                m.CODE: code,
                m.ACTION: action,
                m.CODER: coder,
                m.STATUS: status,
                "removed_auto": removed,
            }
            for s, code, action, coder, status, removed in overrides
        ],
        columns=[m.SEGMENT_ID, m.CODE, m.ACTION, m.CODER, m.STATUS, "removed_auto"],
    )
    write_table(
        pd.DataFrame({m.TRANSCRIPT_ID: list(texts), m.TEXT: list(texts.values())}),
        folder / f"{m.TRANSCRIPTS_FILE}.parquet",
    )
    manifest = {"codes": [{"name": c, "parent": p} for c, p in codes], "options": {"unit": "turn"}}
    (folder / m.MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    return CodedOutput(folder, seg, cod, ov, manifest)


@pytest.fixture
def t1(tmp_path: Path) -> CodedOutput:
    return build_output(tmp_path / "out", {"t1": TEXT}, SEGMENTS)


@pytest.fixture
def external(tmp_path: Path) -> Path:
    return write(tmp_path / "ext.csv", EXTERNAL)


def row(result: AgreementResult, code: str) -> dict:
    table = result.table
    return table[table[m.CODE] == code].iloc[0].to_dict()


# --------------------------------------------------------------------------- char unit


def test_char_unit_counts_every_character_outside_interviewer_turns(t1, external):
    result = agreement(t1, "x,y", unit="char", codings_csv=external)
    # lit: x = [12,50) u [70,90) (its [0,10) lies in an interviewer turn) = 58 characters;
    #      y = [20,50) u [80,100) = 50. both = [20,50) + [80,90) = 40; only x = [12,20) + [70,80)
    #      = 18; only y = [90,100) = 10; neither = 82 - 40 - 18 - 10 = 14.
    lit = row(result, "lit")
    assert (lit["units"], lit["both"], lit["only_a"], lit["only_b"], lit["neither"]) == (
        82,
        40,
        18,
        10,
        14,
    )
    # p_o = (40 + 14) / 82; kappa = 2(ad - bc) / ((a+b)(b+d) + (a+c)(c+d))
    #     = 2(40*14 - 18*10) / (58*32 + 50*24) = 760 / 3056 = 0.248691
    assert lit["percent_agreement"] == pytest.approx(54 / 82)
    assert lit["cohen_kappa"] == pytest.approx(760 / 3056)
    # adv: x codes all of s3 = 38 characters, y none: both 0, only x 38, neither 44, kappa 0.
    adv = row(result, "adv")
    assert (adv["both"], adv["only_a"], adv["only_b"], adv["neither"]) == (0, 38, 0, 44)
    assert adv["cohen_kappa"] == 0.0
    assert result.unit == "char"
    assert result.summary["units"] == 82


def test_char_unit_with_interviewer_turns_counts_the_whole_text(t1, external):
    result = agreement(t1, "x,y", unit="char", codings_csv=external, include_interviewer=True)
    # Now x's [0,10) counts too: both 40, only x 28, only y 10, neither 100 - 78 = 22.
    lit = row(result, "lit")
    assert (lit["units"], lit["both"], lit["only_a"], lit["only_b"], lit["neither"]) == (
        100,
        40,
        28,
        10,
        22,
    )


def test_char_unit_pools_counts_over_codes(t1, external):
    result = agreement(t1, "x,y", unit="char", codings_csv=external)
    pooled = row(result, "(pooled)")
    # lit (40, 18, 10, 14) + adv (0, 38, 0, 44) = (40, 56, 10, 58) over 164 code x characters.
    assert (pooled["units"], pooled["both"], pooled["only_a"], pooled["only_b"]) == (
        164,
        40,
        56,
        10,
    )
    assert pooled["percent_agreement"] == pytest.approx(98 / 164)
    assert pooled["cohen_kappa"] == pytest.approx(binary.kappa_from_counts(40, 56, 10, 58))
    # 2 + 2 + 2 characters between segments and none of s1/s3's uncoded parts: [10,12), [50,52),
    # [60,62) are coded by nobody with any code (x's adv covers all of s3, lit covers s1).
    assert result.summary["agreed_absent"] == 6


def test_char_disagreements_are_maximal_stretches_with_their_segment(t1, external):
    result = agreement(t1, "x,y", unit="char", codings_csv=external, codes=["lit"])
    got = result.disagreements[[m.SEGMENT_ID, m.START, m.END, "coded_by", "not_coded_by"]]
    assert got.values.tolist() == [
        ["t1.s1", 12, 20, "x", "y"],
        ["t1.s3", 70, 80, "x", "y"],
        ["t1.s3", 90, 100, "y", "x"],
    ]
    assert result.disagreements[m.TEXT].tolist()[0] == TEXT[12:20]


def test_char_unit_with_three_coders_uses_the_histogram(t1, tmp_path):
    csv = write(
        tmp_path / "three.csv",
        "transcript_id,coder,code,start,end\n"
        "t1,x,lit,12,50\nt1,y,lit,12,50\nt1,z,lit,62,100\nt1,z,adv,12,13\n",
    )
    result = agreement(t1, "x,y,z", unit="char", codings_csv=csv)
    lit = row(result, "lit")
    # s1 (38 chars) coded by x and y, not z: k = 2 of r = 3; s3 (38) by z only: k = 1;
    # the 6 characters between segments: k = 0. Histogram h[3] = {0: 6, 1: 38, 2: 38}.
    # Gwet p_a per unit = (k(k-1) + (3-k)(2-k)) / 6: k=0 -> 1, k=1 -> 1/3, k=2 -> 1/3;
    # p_a = (6 + 38/3 + 38/3) / 82 = 0.382114
    assert lit["percent_agreement"] == pytest.approx((6 + 76 / 3) / 82)
    assert (lit["any_coded"], lit["all_coded"], lit["none_coded"]) == (76, 0, 6)
    assert "cohen_kappa" not in result.table.columns
    # The same numbers as the verified matrix functions on the 82 characters spelt out.
    matrix = np.array(
        [
            [1] * 38 + [0] * 38 + [0] * 6,
            [1] * 38 + [0] * 38 + [0] * 6,
            [0] * 38 + [1] * 38 + [0] * 6,
        ],
        dtype=float,
    )
    assert lit["fleiss_kappa"] == pytest.approx(stats.fleiss_kappa(matrix))
    assert lit["krippendorff_alpha"] == pytest.approx(stats.krippendorff_alpha(matrix))
    assert lit["gwet_ac1"] == pytest.approx(stats.gwet_ac1(matrix, n_categories=2))


# --------------------------------------------------------------------------- segment unit


def test_segment_unit_with_external_codings_and_an_undefined_kappa(t1, external):
    result = agreement(t1, "x,y", codings_csv=external)
    # A passage codes every segment it overlaps: lit x -> s1, s3 (s0 is an interviewer turn);
    # lit y -> s1, s3. Both coders coded both compared segments: p_o = 1, but only one
    # category occurs, so kappa = (1 - 1) / (1 - 1) is undefined -- NaN with the reason, not 1.
    lit = row(result, "lit")
    assert (lit["units"], lit["both"], lit["neither"]) == (2, 2, 0)
    assert lit["percent_agreement"] == 1.0
    assert math.isnan(lit["cohen_kappa"]) and math.isnan(lit["krippendorff_alpha"])
    assert "cohen_kappa" in lit["undefined"] and "only one category" in lit["undefined"]
    # AC1 and Brennan-Prediger declare q = 2, so they are defined: p_e = 2*1*0 = 0 and 0.5.
    assert lit["gwet_ac1"] == 1.0 and lit["brennan_prediger"] == 1.0
    # adv: x coded s3, y nothing: both 0, only x 1, neither 1: kappa = 2(0 - 0)/(1*1 + 0) = 0.
    adv = row(result, "adv")
    assert (adv["both"], adv["only_a"], adv["only_b"], adv["neither"]) == (0, 1, 0, 1)
    assert adv["cohen_kappa"] == 0.0 and adv["undefined"] is None
    # The macro average skips the undefined kappa and says so.
    macro = row(result, "(macro average)")
    assert macro["cohen_kappa"] == 0.0
    assert "undefined for lit" in macro["undefined"]


def test_segment_unit_reconstructs_auto_with_removed_codings_and_human_coverage(tmp_path):
    texts = {"t1": TEXT, "t2": TEXT[:40]}
    segments = [*SEGMENTS, ("t2.s0", "t2", 0, 20, False), ("t2.s1", "t2", 21, 40, False)]
    out = build_output(
        tmp_path / "out",
        texts,
        segments,
        codings=[
            ("t1.s1", "lit", "auto"),  # still applied
            ("t1.s1", "lit", "ann"),
            ("t2.s0", "adv", "auto"),
        ],
        overrides=[
            ("t1.s1", "lit", "add", "ann", "applied", False),
            # ann withdrew the automatic adv of s3: auto's own coding must still contain it
            ("t1.s3", "adv", "remove", "ann", "applied", True),
            # a second remove of the same pair changed nothing (removed_auto False)
            ("t1.s3", "adv", "remove", "bob", "redundant", False),
            # bob's decision on a segment that no longer exists does not make t2 his
            ("gone.s9", "lit", "add", "bob", "orphan_segment", False),
        ],
    )
    coders = coders_from_output(out)
    assert set(coders) == {"auto", "ann", "bob"}
    auto = set(
        zip(coders["auto"].passages[m.SEGMENT_ID], coders["auto"].passages[m.CODE], strict=True)
    )
    assert auto == {("t1.s1", "lit"), ("t1.s3", "adv"), ("t2.s0", "adv")}
    assert coders["auto"].coverage == {"t1", "t2"}
    assert coders["ann"].coverage == {"t1"}
    assert coders["bob"].coverage == {"t1"}  # only his remove on t1 counts
    result = agreement(out, "auto", gold="ann")
    # Compared: t1's participant segments s1, s3 (t2 is missing for ann -> excluded).
    # lit: ann [1, 0], auto [1, 0]; adv: ann [0, 0], auto [0, 1] -> one false positive.
    assert result.summary["units"] == 2
    assert result.exclusions.values.tolist() == [["t2", "auto", "ann", False]]
    scores = result.gold_scores.set_index(m.CODE)
    assert (scores.loc["adv", "tp"], scores.loc["adv", "fp"], scores.loc["adv", "fn"]) == (0, 1, 0)
    assert math.isnan(scores.loc["adv", "recall"])  # no gold positive
    assert scores.loc["adv", "f1"] == 0.0  # 2TP / (2TP + FP + FN) = 0 / 1
    assert result.disagreements[["segment_id", "code", "kind"]].values.tolist() == [
        ["t1.s3", "adv", "false positive"]
    ]


def test_three_coders_with_one_missing_transcript_are_compared_where_two_coded(tmp_path):
    texts = {"t1": TEXT, "t2": TEXT[:40]}
    segments = [*SEGMENTS, ("t2.s0", "t2", 0, 20, False), ("t2.s1", "t2", 21, 40, False)]
    decisions = [
        ("t1.s1", "lit", "add", "ann", "applied", False),
        ("t2.s0", "lit", "add", "ann", "applied", False),
        ("t1.s1", "lit", "add", "bob", "applied", False),
        ("t2.s1", "lit", "add", "bob", "applied", False),
        ("t1.s3", "lit", "add", "cat", "applied", False),
    ]
    codings = [(s, c, coder) for s, c, _, coder, _, _ in decisions]
    out = build_output(tmp_path / "out", texts, segments, codings, decisions, codes=[("lit", None)])
    result = agreement(out, "ann,bob,cat")
    # Units: t1.s1 [1,1,0], t1.s3 [0,0,1], t2.s0 [1,0,NaN], t2.s1 [0,1,NaN] (cat missed t2).
    matrix = np.array([[1, 0, 1, 0], [1, 0, 0, 1], [0, 1, np.nan, np.nan]])
    lit = row(result, "lit")
    assert lit["units"] == 4
    assert lit["fleiss_kappa"] == pytest.approx(stats.fleiss_kappa(matrix))
    assert lit["krippendorff_alpha"] == pytest.approx(stats.krippendorff_alpha(matrix))
    # p_a: t1.s1 {1,1,0} -> 2/6, t1.s3 {0,0,1} -> 2/6, t2.s0 {1,0} -> 0, t2.s1 {0,1} -> 0.
    assert lit["percent_agreement"] == pytest.approx((1 / 3 + 1 / 3) / 4)
    assert result.exclusions.values.tolist() == [["t2", "ann, bob", "cat", True]]


# --------------------------------------------------------------------------- span unit


def test_merge_passages_merges_overlaps_but_not_touching_passages():
    starts, ends = merge_passages(np.array([3, 0, 8, 20]), np.array([8, 5, 10, 25]))
    assert list(zip(starts, ends, strict=True)) == [(0, 8), (8, 10), (20, 25)]


def test_overlap_ratio_is_intersection_over_the_longer_passage():
    # [12,50) vs [20,50): 30 / 38; [70,90) vs [80,100): 10 / 20; disjoint: 0.
    ratio = overlap_ratio(
        (np.array([12, 70]), np.array([50, 90])), (np.array([20, 80]), np.array([50, 100]))
    )
    assert ratio.ravel().tolist() == pytest.approx([30 / 38, 0.0, 0.0, 10 / 20])


@pytest.mark.parametrize(
    ("threshold", "matched", "agreement_", "bp"),
    [
        # 0.9: no passage matches. lit 0 of 4, adv 0 of 1; pooled 0/5; BP (0 - 1/2) / (1/2) = -1.
        (0.9, 0, 0.0, -1.0),
        # 0.75: x's [12,50) and y's [20,50) match (30/38 = 0.79): lit 2 of 4 = 0.5;
        # pooled 2/5 = 0.4; BP with q = 2 codes: (0.4 - 0.5) / 0.5 = -0.2.
        (0.75, 1, 0.5, -0.2),
    ],
)
def test_span_unit_matches_passages_by_overlap(t1, external, threshold, matched, agreement_, bp):
    result = agreement(t1, "x,y", unit="span", codings_csv=external, min_overlap=threshold)
    lit = row(result, "lit")
    # x's [0,10) is inside an interviewer turn and is left out: 2 passages each.
    assert (lit["passages_a"], lit["matched_a"], lit["passages_b"], lit["matched_b"]) == (
        2,
        matched,
        2,
        matched,
    )
    assert lit["percent_agreement"] == pytest.approx(agreement_)
    assert math.isnan(lit["brennan_prediger"]) and "neither" in lit["undefined"]
    pooled = row(result, "(pooled)")
    assert pooled["brennan_prediger"] == pytest.approx(bp)
    unmatched = result.disagreements
    assert len(unmatched) == 5 - 2 * matched
    assert set(unmatched["best_overlap"].round(4)) >= {0.5}


def test_span_unit_refuses_more_than_two_coders(t1, tmp_path):
    csv = write(tmp_path / "z.csv", EXTERNAL + "t1,z,lit,12,50\n")
    with pytest.raises(AgreementError, match="exactly two coders"):
        agreement(t1, "x,y,z", unit="span", codings_csv=csv)


# --------------------------------------------------------------------------- statistics


def test_histogram_statistics_equal_the_matrix_functions_on_random_data():
    rng = np.random.default_rng(7)
    for _ in range(100):
        n, units = int(rng.integers(2, 6)), int(rng.integers(2, 30))
        data = (rng.random((n, units)) < rng.random()).astype(float)
        data[rng.random((n, units)) < 0.25] = np.nan
        r, k = (~np.isnan(data)).sum(axis=0), np.nansum(data, axis=0).astype(int)
        hist = np.zeros((n + 1, n + 1))
        np.add.at(hist, (r, k), 1)
        got = binary.binary_stats_from_histogram(hist)
        expected = {
            "percent_agreement": stats.percent_agreement(data),
            "fleiss_kappa": stats.fleiss_kappa(data),
            "krippendorff_alpha": stats.krippendorff_alpha(data),
            "gwet_ac1": stats.gwet_ac1(data, n_categories=2),
            "brennan_prediger": stats.brennan_prediger(data, n_categories=2),
        }
        for name, value in expected.items():
            assert got[name][0] == pytest.approx(value, nan_ok=True), name
            assert (got[name][1] is None) == (not math.isnan(value)), name


def test_histogram_of_two_coders_is_scotts_pi():
    # 2 x 2 table (50, 100, 50, 800): p_o = 0.85, pi = (100 + 150) / 2000 = 0.125,
    # p_e = 0.125^2 + 0.875^2 = 0.78125, Scott's pi = (0.85 - 0.78125) / 0.21875 = 0.314286.
    hist = np.zeros((3, 3))
    hist[2] = [800, 150, 50]
    assert binary.binary_stats_from_histogram(hist)["fleiss_kappa"][0] == pytest.approx(
        0.314286, abs=1e-6
    )


# --------------------------------------------------------------------------- bootstrap


@pytest.fixture
def forty(tmp_path: Path) -> CodedOutput:
    """40 one-segment transcripts; ann and bob agree on lit in 30 of them."""
    rng = np.random.default_rng(3)
    texts, segments, decisions = {}, [], []
    for i in range(40):
        t = f"t{i:02d}"
        texts[t] = "word " * 10
        segments.append((f"{t}.s0", t, 0, 20, False))
        a = bool(rng.random() < 0.4)
        b = a if i < 30 else not a
        decisions.append((f"{t}.s0", "lit", "add" if a else "remove", "ann", "applied", False))
        decisions.append((f"{t}.s0", "lit", "add" if b else "remove", "bob", "applied", False))
    codings = [(s, c, coder) for s, c, action, coder, _, _ in decisions if action == "add"]
    return build_output(tmp_path / "out", texts, segments, codings, decisions, [("lit", None)])


def test_bootstrap_is_deterministic_per_seed_and_brackets_the_estimate(forty):
    first = row(agreement(forty, "ann,bob", bootstrap=300, seed=0), "lit")
    again = row(agreement(forty, "ann,bob", bootstrap=300, seed=0), "lit")
    other = row(agreement(forty, "ann,bob", bootstrap=300, seed=1), "lit")
    ci = ("kappa_low", "kappa_high", "alpha_low", "alpha_high")
    assert [first[c] for c in ci] == [again[c] for c in ci]
    assert [first[c] for c in ci] != [other[c] for c in ci]
    assert first["kappa_low"] < first["cohen_kappa"] < first["kappa_high"]
    assert first["alpha_low"] < first["krippendorff_alpha"] < first["alpha_high"]


def test_no_bootstrap_columns_by_default(forty):
    assert "kappa_low" not in agreement(forty, "ann,bob").table.columns


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("t1,x,lit,30,30\n", "ext.csv:2: end 30 must be greater than start 30"),
        ("t1,x,lit,30,101\n", "ext.csv:2: end 101 is beyond the text of 't1' (100 characters)"),
        ("t9,x,lit,0,5\n", "ext.csv:2: unknown transcript 't9'"),
        ("t1,x,nope,0,5\n", "ext.csv:2: unknown code 'nope'"),
        ("t1,x,lit,a,5\n", "ext.csv:2: start 'a' is not a whole number"),
        ("t1,,lit,0,5\n", "ext.csv:2: empty coder"),
    ],
)
def test_malformed_external_codings_are_reported_with_file_and_line(t1, tmp_path, rows, message):
    csv = write(tmp_path / "ext.csv", "transcript_id,coder,code,start,end\n" + rows)
    with pytest.raises(AgreementError) as info:
        agreement(t1, "x,y", codings_csv=csv)
    assert message in str(info.value)


def test_every_malformed_row_is_reported_at_once(t1, tmp_path):
    csv = write(
        tmp_path / "ext.csv",
        "transcript_id,coder,code,start,end\nt1,x,lit,9,3\nt1,x,lit,0,5\nt1,y,lit,0,500\n",
    )
    with pytest.raises(AgreementError) as info:
        agreement(t1, "x,y", codings_csv=csv)
    assert [(p.line, p.message.split()[0]) for p in info.value.problems] == [(2, "end"), (4, "end")]


def test_missing_column_is_reported_on_line_one(t1, tmp_path):
    csv = write(tmp_path / "ext.csv", "transcript_id,coder,code,start\nt1,x,lit,0\n")
    with pytest.raises(AgreementError, match=r"ext.csv:1: missing column\(s\) end"):
        agreement(t1, "x,y", codings_csv=csv)


def test_external_coder_may_not_shadow_a_coder_of_the_output(t1, tmp_path):
    csv = write(tmp_path / "ext.csv", "transcript_id,coder,code,start,end\nt1,auto,lit,0,5\n")
    with pytest.raises(AgreementError, match="ext.csv:2: coder 'auto' also has codings"):
        agreement(t1, "auto,x", codings_csv=csv)


def test_a_row_without_code_marks_a_transcript_as_coded_with_nothing(t1, tmp_path):
    csv = write(
        tmp_path / "ext.csv",
        "transcript_id,coder,code,start,end\nt1,x,lit,12,50\nt1,y,,,\n",
    )
    result = agreement(t1, "x,y", codings_csv=csv)
    # y covers t1 without coding anything: lit x [1, 0], y [0, 0] -> only_a 1, neither 1.
    lit = row(result, "lit")
    assert (lit["both"], lit["only_a"], lit["only_b"], lit["neither"]) == (0, 1, 0, 1)
    assert result.exclusions.empty


@pytest.mark.parametrize(
    ("coders", "gold", "message"),
    [
        ("x", None, "agreement needs at least two coders, got only 'x' (known coders: auto, x, y)"),
        ("x,zoe", None, "unknown coder zoe; known coders: auto, x, y"),
        ("x", "x", "agreement needs at least two coders"),
    ],
)
def test_coder_selection_errors_name_the_known_coders(t1, external, coders, gold, message):
    with pytest.raises(AgreementError) as info:
        agreement(t1, coders, gold=gold, codings_csv=external)
    assert message in str(info.value)


def test_unknown_code_and_bad_options_are_agreement_errors(t1, external):
    with pytest.raises(AgreementError, match="unknown code"):
        agreement(t1, "x,y", codings_csv=external, codes=["nope"])
    with pytest.raises(AgreementError, match="unit must be one of"):
        agreement(t1, "x,y", codings_csv=external, unit="word")
    with pytest.raises(AgreementError, match="min_overlap"):
        agreement(t1, "x,y", codings_csv=external, unit="span", min_overlap=0)


def test_qualcode_agreement_is_callable_from_the_package(t1, external):
    import qualcode
    import qualcode.reliability  # noqa: F401 - the package is 'reliability', so nothing shadows the function

    assert qualcode.agreement(t1, "x,y", codings_csv=external).unit == "segment"
