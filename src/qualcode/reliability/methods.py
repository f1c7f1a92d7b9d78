"""A ready-to-paste methods paragraph for an agreement result (``qualcode agree --methods``).

The paragraph says who was compared, at which unit, over which transcripts (and which were left
out and why), reports the coefficients per code and pooled (with the bootstrap intervals when
they were computed) and reads α against Krippendorff's (2004) thresholds, flagging rare codes
where κ and α part from AC1 (the kappa paradox). Every number comes from the result's tables,
formatted as the terminal table formats it (three decimals; percentages with one), so the
paragraph and ``--format json`` agree. See docs/agreement.md, "What to report".

Names (coders, codes, transcripts) are user data: control characters are dropped and
whitespace runs collapsed, so the paragraph stays one line of plain text.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from qualcode import __version__
from qualcode import models as m

if TYPE_CHECKING:
    from qualcode.reliability.agreement import AgreementResult

RELIABLE = 0.800  # Krippendorff (2004): rely on variables with alpha >= .800
TENTATIVE = 0.667  # ... and draw tentative conclusions only from .667 <= alpha < .800
RARE = 0.2  # a code every coder applied to at most this share of the units is rare
PARADOX_GAP = 0.1  # ... and AC1 this far above alpha: the kappa paradox at work
POOLED, MACRO = "(pooled)", "(macro average)"
_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_SEGMENTS = {"turn": "speaker turn", "paragraph": "paragraph", "sentence": "sentence"}
_UNIT_NOUNS = {"segment": "segment", "char": "character", "span": "passage"}


def methods_paragraph(result: AgreementResult) -> str:
    """A methods paragraph with this result's coders, unit, coverage and coefficients.

    Plain text, one paragraph, no markup; numbers formatted as in the agreement table.
    """
    parts = [
        _design(result),
        _unit(result),
        _coverage(result),
        *(_span_values(result) if result.unit == "span" else _values(result)),
        *_gold(result),
    ]
    return " ".join(p for p in parts if p)


# --- formatting ------------------------------------------------------------------------------


def clean(value: object) -> str:
    """A name as one line of plain text: control characters dropped, whitespace collapsed."""
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in str(value))
    return " ".join(text.split())


def _number(value: float) -> str:
    return f"{value:.3f}"


def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def _count(value: Any, noun: str) -> str:
    n = int(value)
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _defined(value: Any) -> bool:
    return isinstance(value, (int, float)) and not math.isnan(float(value))


def _series(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    if len(items) <= 2:
        return " and ".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _coder(name: str) -> str:
    return "the automatic coding (auto)" if name == m.AUTO_CODER else clean(name)


def _coding(name: str) -> str:
    return _coder(name) if name == m.AUTO_CODER else f"the coding of {clean(name)}"


def _code_rows(result: AgreementResult) -> list[dict[str, Any]]:
    return [r for r in result.table.to_dict("records") if r["code"] not in (POOLED, MACRO)]


def _row(result: AgreementResult, code: str) -> dict[str, Any] | None:
    rows = [r for r in result.table.to_dict("records") if r["code"] == code]
    return rows[0] if rows else None


# --- who, what, where ------------------------------------------------------------------------


def _design(result: AgreementResult) -> str:
    n = len(result.coders)
    how_many = _WORDS[n] if n < len(_WORDS) else str(n)
    version = f"qualcode {__version__}"
    if result.gold:
        others = [c for c in result.coders if c != result.gold]
        subject = _series([_coding(c) for c in others])
        return (
            f"{subject[0].upper()}{subject[1:]} {'was' if len(others) == 1 else 'were'} compared "
            f"with {_coding(result.gold)}, taken as the reference standard, with {version}."
        )
    return (
        f"Agreement between {how_many} coders, {_series([_coder(c) for c in result.coders])}, "
        f"who coded the same interview transcripts, was measured with {version}."
    )


def _unit(result: AgreementResult) -> str:
    summary = result.summary
    codes = _count(len(summary["codes"]), "code")
    left_out = "" if summary.get("include_interviewer") else " Interviewer turns were left out."
    if result.unit == "segment":
        segment = _SEGMENTS.get(str(summary.get("segmentation")), "segment")
        return (
            f"The unit of comparison was the {segment}: for each {segment} and each of the "
            f"{codes}, a coder either applied the code or did not.{left_out}"
        )
    if result.unit == "char":
        return (
            "The unit of comparison was the character: each character of a compared transcript "
            f"was coded or not with each of the {codes} (NVivo's convention).{left_out}"
        )
    overlap = _percent(float(summary["min_overlap"])).replace(".0%", "%")
    return (
        f"Coded passages of the {codes} were compared (MAXQDA's convention): a passage of one "
        "coder matched a passage of the other with the same code when they overlapped by at "
        f"least {overlap} of the longer passage.{left_out}"
    )


def _coverage(result: AgreementResult) -> str:
    summary = result.summary
    noun = _UNIT_NOUNS[result.unit]
    who = "both coders" if len(result.coders) == 2 else "at least two of the coders"
    units = _count(summary["units"], noun)
    absent = summary.get("agreed_absent")
    if absent:
        verb = "counts" if int(absent) == 1 else "count"
        units += f"; the {_count(absent, noun)} to which no coder applied any code {verb} as "
        units += "agreement on the code's absence"
    text = (
        f"The comparison covered the {_count(summary['transcripts_compared'], 'transcript')} "
        f"coded by {who} ({units})."
    )
    text += _left_out(result)
    # `Coverage.rule()` says where coverage came from: done marks, or inferred from decisions.
    marks = str(summary.get("coverage", "")).startswith("coverage from done marks")
    rule = (
        "those they had marked as fully coded"
        if marks
        else "those in which they had recorded at least one coding decision"
    )
    return f"{text} A human coder's transcripts were {rule}."


def _left_out(result: AgreementResult) -> str:
    """Sentences on the transcripts not coded by every coder (see `agreement`'s exclusions)."""
    partly: list[str] = []
    excluded: dict[str, list[str]] = {}
    nobody = 0
    for row in result.exclusions.to_dict("records"):
        if row["compared"]:
            partly.append(f"{clean(row[m.TRANSCRIPT_ID])}, missing for {clean(row['missing_for'])}")
        elif row["coded_by"]:
            excluded.setdefault(clean(row["coded_by"]), []).append(clean(row[m.TRANSCRIPT_ID]))
        else:
            nobody += 1
    text = ""
    if partly:
        text += (
            f" It also included, with the missing codings left out, the "
            f"{_count(len(partly), 'transcript')} coded by only some of the coders "
            f"({'; '.join(partly)})."
        )
    left = [
        f"the {_count(len(ids), 'transcript')} coded only by {coder} ({', '.join(ids)})"
        for coder, ids in excluded.items()
    ]
    if nobody:
        left.append(f"the {_count(nobody, 'transcript')} coded by none of them")
    if left:
        text += f" It left out {_series(left)}."
    return text


# --- the numbers -----------------------------------------------------------------------------


def _values(result: AgreementResult) -> list[str]:
    """Which coefficients, their values per code and pooled, and how to read them."""
    two = len(result.coders) == 2
    kappa_name, kappa = ("Cohen's κ", "cohen_kappa") if two else ("Fleiss' κ", "fleiss_kappa")
    with_ci = "alpha_low" in result.table.columns
    which = (
        f"Krippendorff's α (nominal) is reported for each code, with {kappa_name}, Gwet's AC1 "
        "and percent agreement for comparison"
    )
    if with_ci:
        level = _percent(float(result.summary["level"])).replace(".0%", "%")
        blocks = "segments" if result.unit == "segment" else "whole segments"
        which += (
            f"; intervals in brackets are {level} bootstrap percentile intervals from "
            f"{int(result.summary['bootstrap']):,} resamples of {blocks} "
            f"(seed {result.summary['seed']})"
        )
    per_code = [_code_values(r, kappa, with_ci) for r in _code_rows(result)]
    sentences = [which + ".", "Per code: " + "; ".join(per_code) + "."]
    pooled = _row(result, POOLED)
    if pooled is not None and _defined(pooled["krippendorff_alpha"]):
        sentences.append(
            f"Pooled over all codes and {_UNIT_NOUNS[result.unit]}s, "
            f"α = {_number(pooled['krippendorff_alpha'])} ({_others(pooled, kappa)})."
        )
    return [*sentences, *_interpretation(result), *_rare(result)]


def _others(row: dict[str, Any], kappa: str, ci: str = "") -> str:
    parts = []
    if _defined(row.get(kappa)):
        parts.append(f"κ = {_number(row[kappa])}{ci}")
    if _defined(row.get("gwet_ac1")):
        parts.append(f"AC1 = {_number(row['gwet_ac1'])}")
    if _defined(row.get("percent_agreement")):
        parts.append(f"{_percent(row['percent_agreement'])} agreement")
    return ", ".join(parts)


def _interval(row: dict[str, Any], prefix: str) -> str:
    low, high = f"{prefix}_low", f"{prefix}_high"
    if _defined(row.get(low)) and _defined(row.get(high)):
        return f" [{_number(row[low])}, {_number(row[high])}]"
    return ""


def _code_values(row: dict[str, Any], kappa: str, with_ci: bool) -> str:
    name = clean(row["code"])
    kappa_ci = _interval(row, "kappa") if with_ci else ""
    if not _defined(row["krippendorff_alpha"]):
        reason = clean(row.get("undefined") or "")
        return f"{name} α undefined ({reason}; {_others(row, kappa, kappa_ci)})"
    alpha = _number(row["krippendorff_alpha"]) + (_interval(row, "alpha") if with_ci else "")
    return f"{name} α = {alpha} ({_others(row, kappa, kappa_ci)})"


def _interpretation(result: AgreementResult) -> list[str]:
    """Krippendorff's (2004) reading of each code's α, as shown (rounded to three decimals)."""
    bands: dict[str, list[str]] = {"reliable": [], "tentative": [], "below": [], "undefined": []}
    for row in _code_rows(result):
        alpha = row["krippendorff_alpha"]
        if not _defined(alpha):
            bands["undefined"].append(clean(row["code"]))
            continue
        shown = round(float(alpha), 3)
        band = "reliable" if shown >= RELIABLE else "tentative" if shown >= TENTATIVE else "below"
        bands[band].append(clean(row["code"]))
    readings = []
    if bands["reliable"]:
        readings.append(
            f"{_series(bands['reliable'])} reached α ≥ {RELIABLE:.3f}, the level required "
            "before drawing conclusions"
        )
    if bands["tentative"]:
        readings.append(
            f"{_series(bands['tentative'])} fell between {TENTATIVE:.3f} and {RELIABLE:.3f}, "
            "enough for tentative conclusions only"
        )
    if bands["below"]:
        readings.append(
            f"{_series(bands['below'])} fell below {TENTATIVE:.3f} and should not be relied on "
            "without sharper definitions and a new agreement check"
        )
    text = ""
    if readings:
        text = "Read against Krippendorff's (2004) thresholds, " + "; ".join(readings) + "."
    if bands["undefined"]:
        text += f" α was undefined for {_series(bands['undefined'])}."
    return [text.strip()] if text else []


def _rare(result: AgreementResult) -> list[str]:
    """Rare codes whose AC1 stands well above α: prevalence, not disagreement, lowers α."""
    found = []
    for row in _code_rows(result):
        keys = ("krippendorff_alpha", "gwet_ac1", "units")
        if not all(_defined(row.get(k)) for k in keys) or not row["units"]:
            continue
        gap = round(float(row["gwet_ac1"]), 3) - round(float(row["krippendorff_alpha"]), 3)
        counts = _applied(row, result) if gap >= PARADOX_GAP else None
        if counts is not None and all(share <= RARE for share in counts[0]):
            found.append(f"{clean(row['code'])} ({counts[1]})")
    if not found:
        return []
    noun = _UNIT_NOUNS[result.unit]
    one = len(found) == 1
    return [
        f"The code{'' if one else 's'} {_series(found)} {'was' if one else 'were'} rare: for a "
        "rare code, coefficients whose chance agreement rests on how often it was applied (α and κ) "
        f"stay low even when the coders agree on most {noun}s (the kappa paradox; Feinstein & "
        "Cicchetti, 1990; Gwet, 2008), which is why AC1 is reported beside them."
    ]


def _applied(row: dict[str, Any], result: AgreementResult) -> tuple[list[float], str] | None:
    """How many units each coder applied the code to (two coders) or any coder did (more)."""
    units = int(row["units"])
    noun = _UNIT_NOUNS[result.unit]
    if "both" in row and _defined(row.get("both")):
        a = int(row["both"]) + int(row["only_a"])
        b = int(row["both"]) + int(row["only_b"])
        first, second = (clean(c) for c in result.coders[:2])
        text = f"applied to {a:,} of {_count(units, noun)} by {first} and {b:,} by {second}"
        return [a / units, b / units], text
    if "any_coded" in row and _defined(row.get("any_coded")):
        anyone = int(row["any_coded"])
        return [anyone / units], f"applied by any coder to {anyone:,} of {_count(units, noun)}"
    return None


def _span_values(result: AgreementResult) -> list[str]:
    """Span unit: matched passages per code and Brennan-Prediger's κ pooled (no α)."""
    a, b = (clean(c) for c in result.coders[:2])
    per_code = []
    for row in _code_rows(result):
        if not _defined(row.get("percent_agreement")):
            per_code.append(f"{clean(row['code'])} undefined")
            continue
        per_code.append(
            f"{clean(row['code'])} {_percent(row['percent_agreement'])} ({int(row['matched_a']):,} "
            f"of {int(row['passages_a']):,} passages of {a} and {int(row['matched_b']):,} of "
            f"{int(row['passages_b']):,} of {b} matched)"
        )
    sentences = ["Share of passages matched, per code: " + "; ".join(per_code) + "."]
    pooled = _row(result, POOLED)
    if pooled is not None and _defined(pooled.get("percent_agreement")):
        text = f"Pooled over codes, {_percent(pooled['percent_agreement'])} of passages matched"
        if _defined(pooled.get("brennan_prediger")):
            text += (
                f", and Brennan and Prediger's κ with chance agreement one over the number of "
                f"codes was {_number(pooled['brennan_prediger'])}"
            )
        sentences.append(text + ".")
    sentences.append(
        "Passages have no 'coded by neither' cell, so no chance-corrected coefficient is defined "
        "per code and Krippendorff's thresholds for α do not apply to these figures."
    )
    return sentences


def _gold(result: AgreementResult) -> list[str]:
    """Precision, recall and F1 of each coder against the gold coder, pooled over codes."""
    scores = result.gold_scores
    if scores is None or not result.gold:
        return []
    sentences = []
    for row in scores.to_dict("records"):
        if row["code"] != POOLED or not all(
            _defined(row.get(k)) for k in ("precision", "recall", "f1")
        ):
            continue
        sentences.append(
            f"Against {_coder(result.gold)}, {_coder(str(row['coder']))} reached a precision of "
            f"{_number(row['precision'])}, a recall of {_number(row['recall'])} and an F1 of "
            f"{_number(row['f1'])} (pooled over codes)."
        )
    return sentences
