"""Pure statistics core of inter-coder agreement.

Input is a reliability data matrix of shape (n_coders, n_units), float, with ``np.nan`` where a
coder did not code a unit. Every statistic returns a plain float and returns NaN (never a silent
0 or 1) when it is undefined; :func:`describe_undefined` says why. Invalid input raises
:class:`qualcode.errors.AgreementError`.

Formula choices (for a methods reviewer):

* Observed agreement with n coders and missing ratings is Gwet's (2014) p_a: over the n' units
  with at least two ratings, the mean of sum_k r_ik (r_ik - 1) / (r_i (r_i - 1)). For two coders
  this is the share of jointly coded units on which they agree.
* Fleiss' kappa, Gwet's AC1 and Brennan-Prediger share that p_a. Their category prevalences
  pi_k are averaged over all units with at least one rating (Gwet 2014, generalised Fleiss kappa
  with missing ratings), so a unit coded by one coder informs chance agreement but not p_a.
* Krippendorff's alpha is delegated to the ``krippendorff`` package; only pairable values count.

The closed forms for binary codes (2 x 2 tables, histograms of units) are in `binary`, the
bootstrap intervals in `bootstrap`; the reasons and helpers they share with this module are
public here.
"""

from __future__ import annotations

import operator
from typing import Literal

import krippendorff
import numpy as np
import numpy.typing as npt

from qualcode.errors import AgreementError

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval", "ratio")
STATISTICS = (
    "percent_agreement",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "gwet_ac1",
    "brennan_prediger",
)

_NAN = float("nan")
NO_PAIRS_2 = "no unit was coded by both coders"
NO_PAIRS_N = "no unit was coded by two or more coders"
ONE_CATEGORY = "only one category observed: chance agreement is 1"
ONE_VALUE = "only one value among pairable values: expected disagreement is 0"
_ONE_Q = "only one category observed: q must be at least 2 (pass n_categories)"

# A statistic's private form returns (value, reason); reason is None exactly when value is defined.
Result = tuple[float, str | None]


# --------------------------------------------------------------------------- input handling


def as_matrix(data: npt.ArrayLike) -> np.ndarray:
    """Validate and convert a reliability data matrix to float (n_coders, n_units)."""
    try:
        m = np.asarray(data, dtype=float)
    except (TypeError, ValueError):
        raise AgreementError("reliability data must be numeric (NaN = missing)") from None
    if m.ndim != 2:
        raise AgreementError(f"reliability data must be 2-D (coders x units), got {m.ndim}-D")
    if m.shape[0] < 2:
        raise AgreementError(f"agreement needs at least two coders, got {m.shape[0]}")
    if np.isinf(m).any():
        raise AgreementError("reliability data contains infinite values")
    return m


def pair_matrix(a: npt.ArrayLike, b: npt.ArrayLike) -> np.ndarray:
    """Stack two coders' vectors into a (2, n_units) matrix, checking they line up."""
    try:
        a_, b_ = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        raise AgreementError("codes must be numeric (NaN = missing)") from None
    if a_.ndim != 1 or b_.ndim != 1 or a_.shape != b_.shape:
        raise AgreementError(
            f"the two coders' vectors must be 1-D and equally long, got {a_.shape} and {b_.shape}"
        )
    return as_matrix(np.vstack([a_, b_]))


def _unit_category_counts(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (counts, categories): counts[i, k] = number of coders giving unit i category k."""
    coded = ~np.isnan(m)
    categories, inverse = np.unique(m[coded], return_inverse=True)
    q = len(categories)
    unit = np.nonzero(coded)[1]
    # One bincount over a flat (unit, category) index instead of a loop over units.
    flat = np.bincount(unit * q + inverse.ravel(), minlength=m.shape[1] * q)
    return flat.reshape(m.shape[1], q), categories


def _check_q(n_categories: int | None, observed: int) -> int:
    if n_categories is None:
        return observed
    try:
        q = operator.index(n_categories)
    except TypeError:
        raise AgreementError(f"n_categories must be an integer, got {n_categories!r}") from None
    if q < observed:
        raise AgreementError(f"n_categories={q} but {observed} distinct categories were observed")
    return q


# --------------------------------------------------------------------------- array statistics


def _observed_agreement(counts: np.ndarray, n_coders: int) -> Result:
    """Gwet's p_a: mean pairwise agreement over units with at least two ratings."""
    r = counts.sum(axis=1)
    pairable = r >= 2
    if not pairable.any():
        return _NAN, NO_PAIRS_2 if n_coders == 2 else NO_PAIRS_N
    c = counts[pairable].astype(float)
    rp = r[pairable].astype(float)
    return float(np.mean((c * (c - 1)).sum(axis=1) / (rp * (rp - 1)))), None


def _prevalence(counts: np.ndarray) -> np.ndarray:
    """pi_k: category shares averaged over all units with at least one rating (Gwet 2014)."""
    r = counts.sum(axis=1)
    rated = r >= 1
    return (counts[rated] / r[rated, None]).mean(axis=0)


def chance_corrected(p_o: float, p_e: float) -> float:
    """(p_o - p_e) / (1 - p_e): observed agreement corrected for chance agreement p_e."""
    return float((p_o - p_e) / (1.0 - p_e))


def _percent_agreement(m: np.ndarray) -> Result:
    counts, _ = _unit_category_counts(m)
    return _observed_agreement(counts, m.shape[0])


def _cohen_kappa(m: np.ndarray) -> Result:
    if m.shape[0] != 2:
        raise AgreementError(f"Cohen's kappa needs exactly two coders, got {m.shape[0]}")
    both = ~np.isnan(m).any(axis=0)
    if not both.any():
        return _NAN, NO_PAIRS_2
    a, b = m[0, both], m[1, both]
    categories, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    q, n = len(categories), len(a)
    if q < 2:
        return _NAN, ONE_CATEGORY
    # Chance agreement is sum_k p_a(k) p_b(k) over every category, from each coder's own marginals.
    p_a = np.bincount(inverse[:n], minlength=q) / n
    p_b = np.bincount(inverse[n:], minlength=q) / n
    return chance_corrected(float(np.mean(a == b)), float(p_a @ p_b)), None


def _fleiss_kappa(m: np.ndarray) -> Result:
    counts, categories = _unit_category_counts(m)
    p_o, reason = _observed_agreement(counts, m.shape[0])
    if reason:
        return _NAN, reason
    if len(categories) < 2:
        return _NAN, ONE_CATEGORY
    pi = _prevalence(counts)
    return chance_corrected(p_o, float(pi @ pi)), None


def _gwet_ac1(m: np.ndarray, n_categories: int | None = None) -> Result:
    counts, categories = _unit_category_counts(m)
    q = _check_q(n_categories, len(categories))
    p_o, reason = _observed_agreement(counts, m.shape[0])
    if reason:
        return _NAN, reason
    if q < 2:
        return _NAN, _ONE_Q
    pi = _prevalence(counts)
    return chance_corrected(p_o, float((pi * (1 - pi)).sum() / (q - 1))), None


def _brennan_prediger(m: np.ndarray, n_categories: int | None = None) -> Result:
    counts, categories = _unit_category_counts(m)
    q = _check_q(n_categories, len(categories))
    p_o, reason = _observed_agreement(counts, m.shape[0])
    if reason:
        return _NAN, reason
    if q < 2:
        return _NAN, _ONE_Q
    return chance_corrected(p_o, 1.0 / q), None


def _krippendorff_alpha(m: np.ndarray, level: Level = "nominal") -> Result:
    if level not in LEVELS:
        raise AgreementError(f"unknown level of measurement {level!r}; use one of {LEVELS}")
    if level == "ratio" and (m[~np.isnan(m)] < 0).any():
        raise AgreementError("the ratio level needs non-negative values")
    counts, categories = _unit_category_counts(m)
    # Only pairable values (units with >= 2 ratings) enter the coincidence matrix; checking them
    # first turns the package's exceptions and 0/0 warnings into a NaN with a reason.
    counts = counts[counts.sum(axis=1) >= 2]
    if counts.shape[0] == 0:
        return _NAN, NO_PAIRS_2 if m.shape[0] == 2 else NO_PAIRS_N
    used = counts.sum(axis=0) > 0
    if used.sum() < 2:
        return _NAN, ONE_VALUE
    value = krippendorff.alpha(
        value_counts=counts[:, used], value_domain=categories[used], level_of_measurement=level
    )
    return float(value), None


def percent_agreement(data: npt.ArrayLike) -> float:
    """Observed agreement: mean pairwise agreement over units coded by at least two coders.

    Takes a (n_coders, n_units) matrix (NaN = missing). For two coders this is the share of
    jointly coded units on which they agree. Returns NaN if no unit has two ratings.
    Raises AgreementError for malformed input or fewer than two coders.
    """
    return _percent_agreement(as_matrix(data))[0]


def cohen_kappa(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """Cohen's kappa for two coders' equally long label vectors, over units both coded.

    Returns NaN if no unit was coded by both or only one category occurs (chance agreement 1).
    Raises AgreementError if the vectors are malformed or of different lengths.
    """
    return _cohen_kappa(pair_matrix(a, b))[0]


def fleiss_kappa(data: npt.ArrayLike) -> float:
    """Fleiss' kappa for n coders with missing ratings (Gwet's 2014 generalisation).

    Units with fewer than two ratings are dropped from observed agreement but, as in Gwet, count
    towards the category prevalences. Returns NaN if no unit has two ratings or only one category
    occurs. Raises AgreementError for malformed input.
    """
    return _fleiss_kappa(as_matrix(data))[0]


def gwet_ac1(data: npt.ArrayLike, n_categories: int | None = None) -> float:
    """Gwet's AC1 for nominal data, n coders, missing ratings as in Gwet (2014).

    ``n_categories`` is q (default: number of distinct observed values; pass 2 for binary codes).
    Returns NaN if no unit has two ratings or q < 2. Raises AgreementError for malformed input or
    ``n_categories`` below the number of observed categories.
    """
    return _gwet_ac1(as_matrix(data), n_categories)[0]


def brennan_prediger(data: npt.ArrayLike, n_categories: int | None = None) -> float:
    """Brennan-Prediger kappa: chance agreement 1/q.

    ``n_categories`` is q (default: number of distinct observed values; pass 2 for binary codes).
    Returns NaN if no unit has two ratings or q < 2. Raises AgreementError for malformed input or
    ``n_categories`` below the number of observed categories.
    """
    return _brennan_prediger(as_matrix(data), n_categories)[0]


def krippendorff_alpha(data: npt.ArrayLike, level: Level = "nominal") -> float:
    """Krippendorff's alpha at level "nominal", "ordinal", "interval" or "ratio".

    Computed by the ``krippendorff`` package. Returns NaN when there are no pairable values or all
    pairable values are equal (expected disagreement 0). Raises AgreementError for malformed input,
    an unknown level, or negative values at the ratio level.
    """
    return _krippendorff_alpha(as_matrix(data), level)[0]


def describe_undefined(
    data: npt.ArrayLike,
    statistic: str = "cohen_kappa",
    *,
    level: Level = "nominal",
    n_categories: int | None = None,
) -> str | None:
    """Say why ``statistic`` (one of STATISTICS) is NaN on ``data``; None if it is defined.

    Takes the same data and options as the statistic (for cohen_kappa a 2 x n_units matrix).
    Raises AgreementError for an unknown statistic or malformed input.
    """
    m = as_matrix(data)
    if statistic == "krippendorff_alpha":
        return _krippendorff_alpha(m, level)[1]
    if statistic in ("gwet_ac1", "brennan_prediger"):
        fn = _gwet_ac1 if statistic == "gwet_ac1" else _brennan_prediger
        return fn(m, n_categories)[1]
    simple = {
        "percent_agreement": _percent_agreement,
        "cohen_kappa": _cohen_kappa,
        "fleiss_kappa": _fleiss_kappa,
    }
    if statistic not in simple:
        raise AgreementError(f"unknown statistic {statistic!r}; use one of {STATISTICS}")
    return simple[statistic](m)[1]
