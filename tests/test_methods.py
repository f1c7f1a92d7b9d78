"""The methods paragraph (`qualcode.reliability.methods`), from hand-built agreement results.

The statistics in the tables below are worked out by hand from the 2 x 2 counts (both, only A,
only B, neither over n units), as docs/agreement.md defines them:

* litigation (8, 1, 1, 10), n = 20: p_o = 18/20 = 0.900; Cohen p_e = 0.45 * 0.45 + 0.55 * 0.55
  = 0.505, kappa = 0.395 / 0.495 = 0.798; alpha: n.. = 40, n_1 = 18, n_0 = 22, o_01 = 2,
  1 - 39 * 2 / (22 * 18) = 0.803; AC1: pi = 0.45, p_e = 2 * 0.45 * 0.55 = 0.495,
  0.405 / 0.505 = 0.802.
* lobbying (1, 1, 0, 18), n = 20: p_o = 0.950; p_e = 0.1 * 0.05 + 0.9 * 0.95 = 0.86,
  kappa = 0.09 / 0.14 = 0.643; alpha: n_1 = 3, n_0 = 37, o_01 = 1, 1 - 39 / 111 = 0.649;
  AC1: pi = 3/40, p_e = 0.13875, 0.81125 / 0.86125 = 0.942. Rare: anna applied it to 2 of
  20 segments (0.10), ben to 1 (0.05); AC1 - alpha = 0.293.
* pooled (9, 2, 1, 28), n = 40: p_o = 0.925; p_e = 0.275 * 0.25 + 0.725 * 0.75 = 0.6125,
  kappa = 0.3125 / 0.3875 = 0.806; alpha: n.. = 80, n_1 = 21, n_0 = 59, o_01 = 3,
  1 - 79 * 3 / (59 * 21) = 0.809; AC1: pi = 0.2625, p_e = 0.3871875, 0.5378125 / 0.6128125
  = 0.878.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from qualcode import __version__
from qualcode.reliability.agreement import AgreementResult
from qualcode.reliability.methods import clean, methods_paragraph

NAN = math.nan
EXCLUSION_COLUMNS = ["transcript_id", "coded_by", "missing_for", "compared"]


def _row(code, counts, p_o, kappa, alpha, ac1, **extra):
    both, only_a, only_b, neither = counts
    return {
        "code": code,
        "units": both + only_a + only_b + neither,
        "both": both,
        "only_a": only_a,
        "only_b": only_b,
        "neither": neither,
        "percent_agreement": p_o,
        "cohen_kappa": kappa,
        "fleiss_kappa": kappa,
        "krippendorff_alpha": alpha,
        "gwet_ac1": ac1,
        "brennan_prediger": 2 * p_o - 1,
        "undefined": extra.pop("undefined", None),
        **extra,
    }


LITIGATION = _row("litigation", (8, 1, 1, 10), 0.9, 0.797980, 0.803030, 0.801980)
LOBBYING = _row("lobbying", (1, 1, 0, 18), 0.95, 0.642857, 0.648649, 0.941945)
POOLED = _row("(pooled)", (9, 2, 1, 28), 0.925, 0.806452, 0.808717, 0.877613)


def _result(
    rows,
    *,
    coders=("anna", "ben"),
    unit="segment",
    exclusions=(),
    gold=None,
    gold_scores=None,
    **summary,
) -> AgreementResult:
    table = pd.DataFrame(rows)
    base = {
        "unit": unit,
        "segmentation": "turn",
        "coders": list(coders),
        "gold": gold,
        "codes": [r["code"] for r in rows if not r["code"].startswith("(")],
        "transcripts_compared": 3,
        "transcripts_excluded": [],
        "units": 20,
        "agreed_absent": 9,
        "include_interviewer": False,
        "bootstrap": 0,
        "seed": 0,
        "level": 0.95,
        "coverage": "coverage from done marks",
        "coverage_warnings": [],
    }
    return AgreementResult(
        unit,
        list(coders),
        gold,
        table,
        pd.DataFrame(),
        pd.DataFrame(list(exclusions), columns=EXCLUSION_COLUMNS),
        gold_scores,
        {**base, **summary},
    )


def test_two_coder_paragraph_written_out_in_full():
    result = _result(
        [LITIGATION, LOBBYING, POOLED],
        exclusions=[("t4", "ben", "anna", False), ("t5", "", "anna, ben", False)],
    )
    assert methods_paragraph(result) == (
        "Agreement between two coders, anna and ben, who coded the same interview transcripts, "
        f"was measured with qualcode {__version__}. "
        "The unit of comparison was the speaker turn: for each speaker turn and each of the 2 "
        "codes, a coder either applied the code or did not. Interviewer turns were left out. "
        "The comparison covered the 3 transcripts coded by both coders (20 segments; the 9 "
        "segments to which no coder applied any code count as agreement on the code's "
        "absence). It left out the 1 transcript coded only by ben (t4) and the 1 transcript "
        "coded by none of them. A human coder's transcripts were those they had marked as "
        "fully coded. "
        "Krippendorff's α (nominal) is reported for each code, with Cohen's κ, Gwet's AC1 and "
        "percent agreement for comparison. "
        "Per code: litigation α = 0.803 (κ = 0.798, AC1 = 0.802, 90.0% agreement); "
        "lobbying α = 0.649 (κ = 0.643, AC1 = 0.942, 95.0% agreement). "
        "Pooled over all codes and segments, α = 0.809 (κ = 0.806, AC1 = 0.878, 92.5% "
        "agreement). "
        "Read against Krippendorff's (2004) thresholds, litigation reached α ≥ 0.800, the "
        "level required before drawing conclusions; lobbying fell below 0.667 and should not "
        "be relied on without sharper definitions and a new agreement check. "
        "The code lobbying (applied to 2 of 20 segments by anna and 1 by ben) was rare: for a "
        "rare code, coefficients whose chance agreement rests on how often it was applied (α "
        "and κ) stay low even when the coders agree on most segments (the kappa paradox; "
        "Feinstein & Cicchetti, 1990; Gwet, 2008), which is why AC1 is reported beside them."
    )


@pytest.mark.parametrize(
    ("alpha", "reading"),
    [
        (0.8, "x reached α ≥ 0.800, the level required before drawing conclusions"),
        # the reading follows the number shown: 0.7996 is shown as 0.800
        (0.7996, "x reached α ≥ 0.800"),
        (0.79949, "x fell between 0.667 and 0.800, enough for tentative conclusions only"),
        (0.667, "x fell between 0.667 and 0.800"),
        (0.6664, "x fell below 0.667 and should not be relied on"),
        (-0.2, "x fell below 0.667"),
    ],
)
def test_alpha_is_read_against_krippendorffs_thresholds(alpha, reading):
    row = _row("x", (8, 1, 1, 10), 0.9, alpha, alpha, alpha)
    paragraph = methods_paragraph(_result([row]))
    assert f"Read against Krippendorff's (2004) thresholds, {reading}" in paragraph


def test_undefined_alpha_gives_its_reason_and_no_reading():
    reason = "krippendorff_alpha: only one value among the pairable values"
    row = _row("x", (0, 0, 0, 20), 1.0, NAN, NAN, 1.0, undefined=reason)
    paragraph = methods_paragraph(_result([row]))
    # p_o = 20/20; AC1 declares two categories and stays defined (1.000)
    assert f"x α undefined ({reason}; AC1 = 1.000, 100.0% agreement)" in paragraph
    assert "thresholds" not in paragraph
    assert paragraph.endswith("α was undefined for x.")


@pytest.mark.parametrize(
    ("counts", "alpha", "ac1", "rare"),
    [
        # both coders applied it to at most 20% of the units and AC1 - alpha >= 0.1
        ((1, 1, 0, 18), 0.649, 0.942, True),
        # 4 + 1 = 5 of 20 for anna: 0.25 > 0.2, not rare
        ((4, 1, 0, 15), 0.649, 0.942, False),
        # rare, but AC1 only 0.099 above alpha: no paradox to explain
        ((1, 1, 0, 18), 0.649, 0.748, False),
    ],
)
def test_rare_codes_where_ac1_stands_above_alpha_are_flagged(counts, alpha, ac1, rare):
    row = _row("x", counts, 0.95, alpha, alpha, ac1)
    assert ("The code x (applied to" in methods_paragraph(_result([row]))) is rare


def test_more_coders_partial_coverage_and_bootstrap_intervals():
    row = {
        "code": "x",
        "units": 30,
        "any_coded": 12,
        "all_coded": 6,
        "none_coded": 18,
        "percent_agreement": 0.8,
        "fleiss_kappa": 0.55,
        "krippendorff_alpha": 0.56,
        "gwet_ac1": 0.6,
        "brennan_prediger": 0.6,
        "kappa_low": 0.31,
        "kappa_high": 0.74,
        "alpha_low": 0.32,
        "alpha_high": 0.75,
        "undefined": None,
    }
    result = _result(
        [row],
        coders=("anna", "ben", "auto"),
        exclusions=[("t2", "anna, auto", "ben", True)],
        bootstrap=1000,
        seed=7,
        units=30,
        agreed_absent=0,
        coverage="coverage inferred from decisions: no transcript is marked done",
    )
    text = methods_paragraph(result)
    assert text.startswith(
        "Agreement between three coders, anna, ben and the automatic coding (auto), who coded"
    )
    assert "covered the 3 transcripts coded by at least two of the coders (30 segments)." in text
    assert (
        "It also included, with the missing codings left out, the 1 transcript coded by only "
        "some of the coders (t2, missing for ben)."
    ) in text
    assert "those in which they had recorded at least one coding decision" in text
    assert "with Fleiss' κ, Gwet's AC1" in text
    assert (
        "intervals in brackets are 95% bootstrap percentile intervals from 1,000 resamples of "
        "segments (seed 7)"
    ) in text
    assert (
        "x α = 0.560 [0.320, 0.750] (κ = 0.550 [0.310, 0.740], AC1 = 0.600, 80.0% agreement)"
        in (text)
    )


def test_span_unit_reports_matched_passages_and_no_alpha():
    rows = [
        {
            "code": "x",
            "passages_a": 4,
            "matched_a": 3,
            "passages_b": 5,
            "matched_b": 3,
            "percent_agreement": 6 / 9,
            "brennan_prediger": NAN,
            "undefined": "brennan_prediger: per code ...",
        },
        {
            "code": "(pooled)",
            "passages_a": 4,
            "matched_a": 3,
            "passages_b": 5,
            "matched_b": 3,
            "percent_agreement": 6 / 9,
            # one code: chance agreement 1/q = 1, so B-P is undefined; use two codes' value
            "brennan_prediger": 0.3333333,
            "undefined": None,
        },
    ]
    text = methods_paragraph(
        _result(rows, unit="span", units=9, agreed_absent=None, min_overlap=0.9)
    )
    # (3 + 3) / (4 + 5) = 66.7%
    assert "overlapped by at least 90% of the longer passage" in text
    assert "(9 passages)." in text
    assert "x 66.7% (3 of 4 passages of anna and 3 of 5 of ben matched)" in text
    assert "Pooled over codes, 66.7% of passages matched" in text and "was 0.333." in text
    assert "α =" not in text and "Krippendorff's thresholds for α do not apply" in text


def test_gold_paragraph_names_the_reference_and_gives_precision_and_recall():
    scores = pd.DataFrame(
        [
            # tp 8, fp 1, fn 1: precision 8/9 = 0.889, recall 8/9 = 0.889, F1 16/18 = 0.889
            {
                "coder": "auto",
                "code": "x",
                "tp": 8,
                "fp": 1,
                "fn": 1,
                "precision": 8 / 9,
                "recall": 8 / 9,
                "f1": 8 / 9,
            },
            # pooled tp 9, fp 1, fn 2: precision 0.9, recall 9/11 = 0.818, F1 18/21 = 0.857
            {
                "coder": "auto",
                "code": "(pooled)",
                "tp": 9,
                "fp": 1,
                "fn": 2,
                "precision": 0.9,
                "recall": 9 / 11,
                "f1": 18 / 21,
            },
        ]
    )
    result = _result([LITIGATION], coders=("anna", "auto"), gold="anna", gold_scores=scores)
    text = methods_paragraph(result)
    assert text.startswith(
        "The automatic coding (auto) was compared with the coding of anna, taken as the "
        "reference standard"
    )
    assert text.endswith(
        "Against anna, the automatic coding (auto) reached a precision of 0.900, a recall of "
        "0.818 and an F1 of 0.857 (pooled over codes)."
    )


def test_names_are_plain_text_on_one_line():
    hostile = "[bold red]x[/] \x1b[2J\nnext\u202eline"
    row = _row(hostile, (8, 1, 1, 10), 0.9, 0.797980, 0.803030, 0.801980)
    text = methods_paragraph(_result([row]))
    assert "\n" not in text and "\x1b" not in text and "\u202e" not in text
    # rich markup is left as it is: the CLI prints the paragraph with typer.echo, not rich
    assert "[bold red]x[/] [2J next line α = 0.803" in text
    assert clean("a\tb\x00c  d") == "a b c d"
