"""Agreement on binary (0/1) codes from counts: 2 x 2 tables and histograms of units.

* The ``*_from_counts`` functions are closed forms for two coders, binary codes and no missing
  data (e.g. character-level agreement from run-length counts), and AC1/Brennan-Prediger there
  use q = 2 categories (presence/absence) even when only one is observed.
* `binary_stats_from_histogram` gives the same statistics for any number of coders from a
  histogram of units (rated by r coders, k of whom gave 1), weighted e.g. by characters.

The formulas are those of the matrix functions in `stats`, and tests check that both agree.
Statistics return NaN with a reason when undefined; invalid input raises AgreementError.
"""

from __future__ import annotations

import operator
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from qualcode.errors import AgreementError
from qualcode.reliability.stats import (
    NO_PAIRS_2,
    NO_PAIRS_N,
    ONE_CATEGORY,
    ONE_VALUE,
    STATISTICS,
    Result,
    chance_corrected,
    pair_matrix,
)

_NAN = float("nan")


class BinaryCounts(NamedTuple):
    """2 x 2 table of two coders' 0/1 codes over the units both coded."""

    both: int
    only_a: int
    only_b: int
    neither: int

    @property
    def n(self) -> int:
        """Number of units both coders coded."""
        return self.both + self.only_a + self.only_b + self.neither


def binary_counts(a: npt.ArrayLike, b: npt.ArrayLike) -> BinaryCounts:
    """Cross-tabulate two 0/1 vectors (NaN = missing) over units both coded.

    Returns BinaryCounts(both, only_a, only_b, neither) with property ``n``. Raises
    AgreementError if the vectors differ in length or hold values other than 0, 1, NaN.
    """
    m = pair_matrix(a, b)
    _check_binary(m)
    m = m[:, ~np.isnan(m).any(axis=0)].astype(bool)
    x, y = m[0], m[1]
    both = int(np.count_nonzero(x & y))
    only_a = int(np.count_nonzero(x)) - both
    only_b = int(np.count_nonzero(y)) - both
    return BinaryCounts(both, only_a, only_b, m.shape[1] - both - only_a - only_b)


def precision_recall_f1(gold: npt.ArrayLike, pred: npt.ArrayLike) -> tuple[float, float, float]:
    """Precision, recall and F1 of 0/1 predictions against 0/1 gold codes (NaN pairs dropped).

    Precision is NaN without positive predictions, recall NaN without gold positives; F1 is
    2TP / (2TP + FP + FN), so it is 0 (not NaN) when positives exist but none are shared, and NaN
    only when neither side has a positive. Raises AgreementError for malformed input.
    """
    tp, fn, fp, _ = binary_counts(gold, pred)

    def ratio(num: int, den: int) -> float:
        return num / den if den else _NAN

    return ratio(tp, tp + fp), ratio(tp, tp + fn), ratio(2 * tp, 2 * tp + fp + fn)


def checked_counts(both: int, only_a: int, only_b: int, neither: int) -> tuple[int, int, int, int]:
    """The four cells of a 2 x 2 table as ints. Raises AgreementError unless non-negative ints."""
    try:
        cells = (
            operator.index(both),
            operator.index(only_a),
            operator.index(only_b),
            operator.index(neither),
        )
    except TypeError:
        raise AgreementError("counts must be integers") from None
    if min(cells) < 0:
        raise AgreementError(f"counts must be non-negative, got {cells}")
    return cells


# Closed forms for two coders, binary codes, no missing data. a = both, b = only A, c = only B,
# d = neither, N = a + b + c + d. Python ints keep the products exact for millions of units.


def _counts_stat(statistic: str, a: int, b: int, c: int, d: int) -> Result:
    n = a + b + c + d
    if n == 0:
        return _NAN, NO_PAIRS_2
    if statistic == "percent_agreement":
        return (a + d) / n, None
    if statistic == "cohen_kappa":
        # kappa = (p_o - p_e) / (1 - p_e) with p_e = p_A(1) p_B(1) + p_A(0) p_B(0); multiplying
        # through by N^2 gives 2(ad - bc) / ((a+b)(b+d) + (a+c)(c+d)).
        den = (a + b) * (b + d) + (a + c) * (c + d)
        return (2 * (a * d - b * c) / den, None) if den else (_NAN, ONE_CATEGORY)
    if statistic == "krippendorff_alpha":
        # Each unit gives ordered pairs (v_A, v_B) and (v_B, v_A) with weight 1/(m_u - 1) = 1, so
        # the coincidences are o_11 = 2a, o_00 = 2d, o_01 = o_10 = b + c; n_1 = 2a + b + c,
        # n_0 = 2d + b + c, n.. = 2N. Nominal alpha = 1 - (n.. - 1) o_01 / (n_0 n_1).
        n1, n0 = 2 * a + b + c, 2 * d + b + c
        return (1 - (2 * n - 1) * (b + c) / (n0 * n1), None) if n0 * n1 else (_NAN, ONE_VALUE)
    if statistic in ("gwet_ac1", "brennan_prediger"):
        p_o = (a + d) / n
        if statistic == "brennan_prediger":
            return chance_corrected(p_o, 0.5), None
        pi = (2 * a + b + c) / (2 * n)  # presence prevalence over both coders' ratings
        return chance_corrected(p_o, 2 * pi * (1 - pi)), None  # q = 2: sum pi_k(1-pi_k)/(q-1)
    raise AgreementError(f"unknown statistic {statistic!r}; use one of {STATISTICS}")


def percent_agreement_from_counts(both: int, only_a: int, only_b: int, neither: int) -> float:
    """Percent agreement (both + neither) / n from a 2 x 2 table; NaN if n = 0.

    Raises AgreementError for negative or non-integer counts.
    """
    return _counts_stat("percent_agreement", *checked_counts(both, only_a, only_b, neither))[0]


def kappa_from_counts(both: int, only_a: int, only_b: int, neither: int) -> float:
    """Cohen's kappa from a 2 x 2 table; NaN if empty or all units fall in one category.

    Raises AgreementError for negative or non-integer counts.
    """
    return _counts_stat("cohen_kappa", *checked_counts(both, only_a, only_b, neither))[0]


def alpha_from_counts(both: int, only_a: int, only_b: int, neither: int) -> float:
    """Krippendorff's nominal alpha for two coders, binary codes, no missing data.

    Returns NaN if the table is empty or only one value occurs. Raises AgreementError for
    negative or non-integer counts.
    """
    return _counts_stat("krippendorff_alpha", *checked_counts(both, only_a, only_b, neither))[0]


def ac1_from_counts(both: int, only_a: int, only_b: int, neither: int) -> float:
    """Gwet's AC1 with q = 2 from a 2 x 2 table; NaN only if the table is empty.

    Raises AgreementError for negative or non-integer counts.
    """
    return _counts_stat("gwet_ac1", *checked_counts(both, only_a, only_b, neither))[0]


def bp_from_counts(both: int, only_a: int, only_b: int, neither: int) -> float:
    """Brennan-Prediger kappa with q = 2 from a 2 x 2 table; NaN only if the table is empty.

    Raises AgreementError for negative or non-integer counts.
    """
    return _counts_stat("brennan_prediger", *checked_counts(both, only_a, only_b, neither))[0]


def describe_undefined_from_counts(
    both: int, only_a: int, only_b: int, neither: int, statistic: str = "cohen_kappa"
) -> str | None:
    """Say why the ``*_from_counts`` form of ``statistic`` is NaN; None if it is defined.

    ``statistic`` is one of STATISTICS except "fleiss_kappa". Raises AgreementError for an
    unknown statistic or invalid counts.
    """
    return _counts_stat(statistic, *checked_counts(both, only_a, only_b, neither))[1]


def binary_stats_from_histogram(hist: npt.ArrayLike) -> dict[str, tuple[float, str | None]]:
    """Statistics of 0/1 codes from a histogram of units, for any number of coders.

    ``hist[r, k]`` is the number (or total weight, e.g. characters) of units rated by ``r``
    coders of whom ``k`` gave 1. The formulas are those of the matrix functions above -- Gwet's
    p_a over units with r >= 2, prevalences over units with r >= 1, Krippendorff's coincidences
    weighted 1 / (r - 1), q = 2 for AC1 and Brennan-Prediger -- so a matrix and its histogram give
    the same values; weights let millions of characters be summarised by run lengths.

    Returns ``{statistic: (value, reason)}`` for every statistic in STATISTICS except
    cohen_kappa (which needs each coder's own marginals); ``reason`` is None when defined.
    Raises AgreementError for a malformed histogram.
    """
    try:
        h = np.asarray(hist, dtype=float)
    except (TypeError, ValueError):
        raise AgreementError("the histogram must be numeric") from None
    if h.ndim != 2 or h.shape[1] > h.shape[0] or (h < 0).any() or not np.isfinite(h).all():
        raise AgreementError("the histogram must be a non-negative (r, k) table with k <= r")
    r, k = np.indices(h.shape, dtype=float)
    if (h[k > r] != 0).any():
        raise AgreementError("the histogram has units with more 1s (k) than ratings (r)")
    pairable, rated = (r >= 2) & (k <= r), (r >= 1) & (k <= r)
    n_pairable = h[pairable].sum()
    results: dict[str, tuple[float, str | None]] = {}
    if n_pairable == 0:
        reason = NO_PAIRS_2 if h.shape[0] <= 3 else NO_PAIRS_N
        return {s: (_NAN, reason) for s in STATISTICS if s != "cohen_kappa"}
    rr = np.where(pairable, r, 2.0)  # avoid 0/0 outside the pairable cells
    agree = (k * (k - 1) + (r - k) * (r - k - 1)) / (rr * (rr - 1))
    p_o = float((h * agree)[pairable].sum() / n_pairable)
    pi1 = float((h * k / np.where(rated, r, 1.0))[rated].sum() / h[rated].sum())
    results["percent_agreement"] = (p_o, None)
    if pi1 in (0.0, 1.0):
        results["fleiss_kappa"] = (_NAN, ONE_CATEGORY)
    else:
        results["fleiss_kappa"] = (chance_corrected(p_o, pi1**2 + (1 - pi1) ** 2), None)
    results["gwet_ac1"] = (chance_corrected(p_o, 2 * pi1 * (1 - pi1)), None)
    results["brennan_prediger"] = (chance_corrected(p_o, 0.5), None)
    # Nominal alpha: o_01 = sum_u k(r-k)/(r-1) over pairable units; n_1, n_0 count pairable values.
    n1 = float((h * k)[pairable].sum())
    n0 = float((h * (r - k))[pairable].sum())
    o01 = float((h * k * (r - k) / (rr - 1))[pairable].sum())
    if n1 == 0 or n0 == 0:
        results["krippendorff_alpha"] = (_NAN, ONE_VALUE)
    else:
        results["krippendorff_alpha"] = (1 - (n1 + n0 - 1) * o01 / (n0 * n1), None)
    return {s: results[s] for s in STATISTICS if s in results}


def _check_binary(m: np.ndarray) -> None:
    values = m[~np.isnan(m)]
    if not np.isin(values, (0.0, 1.0)).all():
        raise AgreementError("binary codes must be 0, 1 or NaN (missing)")
