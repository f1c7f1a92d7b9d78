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
* The ``*_from_counts`` functions are closed forms for two coders, binary codes and no missing
  data (e.g. character-level agreement from run-length counts), and AC1/Brennan-Prediger there
  use q = 2 categories (presence/absence) even when only one is observed.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import NamedTuple

import krippendorff
import numpy as np
import numpy.typing as npt

from qualcode.errors import AgreementError

LEVELS = ("nominal", "ordinal", "interval", "ratio")
STATISTICS = (
    "percent_agreement",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "gwet_ac1",
    "brennan_prediger",
)

_NAN = float("nan")
_NO_PAIRS_2 = "no unit was coded by both coders"
_NO_PAIRS_N = "no unit was coded by two or more coders"
_ONE_CATEGORY = "only one category observed: chance agreement is 1"
_ONE_VALUE = "only one value among pairable values: expected disagreement is 0"
_ONE_Q = "only one category observed: q must be at least 2 (pass n_categories)"

# A statistic's private form returns (value, reason); reason is None exactly when value is defined.
_Result = tuple[float, str | None]


# --------------------------------------------------------------------------- input handling


def _as_matrix(data: npt.ArrayLike) -> np.ndarray:
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


def _pair(a: npt.ArrayLike, b: npt.ArrayLike) -> np.ndarray:
    """Stack two coders' vectors into a (2, n_units) matrix, checking they line up."""
    try:
        a_, b_ = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        raise AgreementError("codes must be numeric (NaN = missing)") from None
    if a_.ndim != 1 or b_.ndim != 1 or a_.shape != b_.shape:
        raise AgreementError(
            f"the two coders' vectors must be 1-D and equally long, got {a_.shape} and {b_.shape}"
        )
    return _as_matrix(np.vstack([a_, b_]))


def _check_binary(m: np.ndarray) -> None:
    values = m[~np.isnan(m)]
    if not np.isin(values, (0.0, 1.0)).all():
        raise AgreementError("binary codes must be 0, 1 or NaN (missing)")


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


def _observed_agreement(counts: np.ndarray, n_coders: int) -> _Result:
    """Gwet's p_a: mean pairwise agreement over units with at least two ratings."""
    r = counts.sum(axis=1)
    pairable = r >= 2
    if not pairable.any():
        return _NAN, _NO_PAIRS_2 if n_coders == 2 else _NO_PAIRS_N
    c = counts[pairable].astype(float)
    rp = r[pairable].astype(float)
    return float(np.mean((c * (c - 1)).sum(axis=1) / (rp * (rp - 1)))), None


def _prevalence(counts: np.ndarray) -> np.ndarray:
    """pi_k: category shares averaged over all units with at least one rating (Gwet 2014)."""
    r = counts.sum(axis=1)
    rated = r >= 1
    return (counts[rated] / r[rated, None]).mean(axis=0)


def _chance_corrected(p_o: float, p_e: float) -> float:
    return float((p_o - p_e) / (1.0 - p_e))


def _percent_agreement(m: np.ndarray) -> _Result:
    counts, _ = _unit_category_counts(m)
    return _observed_agreement(counts, m.shape[0])


def _cohen_kappa(m: np.ndarray) -> _Result:
    if m.shape[0] != 2:
        raise AgreementError(f"Cohen's kappa needs exactly two coders, got {m.shape[0]}")
    both = ~np.isnan(m).any(axis=0)
    if not both.any():
        return _NAN, _NO_PAIRS_2
    a, b = m[0, both], m[1, both]
    categories, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    q, n = len(categories), len(a)
    if q < 2:
        return _NAN, _ONE_CATEGORY
    # Chance agreement is sum_k p_a(k) p_b(k) over every category, from each coder's own marginals.
    p_a = np.bincount(inverse[:n], minlength=q) / n
    p_b = np.bincount(inverse[n:], minlength=q) / n
    return _chance_corrected(float(np.mean(a == b)), float(p_a @ p_b)), None


def _fleiss_kappa(m: np.ndarray) -> _Result:
    counts, categories = _unit_category_counts(m)
    p_o, reason = _observed_agreement(counts, m.shape[0])
    if reason:
        return _NAN, reason
    if len(categories) < 2:
        return _NAN, _ONE_CATEGORY
    pi = _prevalence(counts)
    return _chance_corrected(p_o, float(pi @ pi)), None


def _gwet_ac1(m: np.ndarray, n_categories: int | None = None) -> _Result:
    counts, categories = _unit_category_counts(m)
    q = _check_q(n_categories, len(categories))
    p_o, reason = _observed_agreement(counts, m.shape[0])
    if reason:
        return _NAN, reason
    if q < 2:
        return _NAN, _ONE_Q
    pi = _prevalence(counts)
    return _chance_corrected(p_o, float((pi * (1 - pi)).sum() / (q - 1))), None


def _brennan_prediger(m: np.ndarray, n_categories: int | None = None) -> _Result:
    counts, categories = _unit_category_counts(m)
    q = _check_q(n_categories, len(categories))
    p_o, reason = _observed_agreement(counts, m.shape[0])
    if reason:
        return _NAN, reason
    if q < 2:
        return _NAN, _ONE_Q
    return _chance_corrected(p_o, 1.0 / q), None


def _krippendorff_alpha(m: np.ndarray, level: str = "nominal") -> _Result:
    if level not in LEVELS:
        raise AgreementError(f"unknown level of measurement {level!r}; use one of {LEVELS}")
    if level == "ratio" and (m[~np.isnan(m)] < 0).any():
        raise AgreementError("the ratio level needs non-negative values")
    counts, categories = _unit_category_counts(m)
    # Only pairable values (units with >= 2 ratings) enter the coincidence matrix; checking them
    # first turns the package's exceptions and 0/0 warnings into a NaN with a reason.
    counts = counts[counts.sum(axis=1) >= 2]
    if counts.shape[0] == 0:
        return _NAN, _NO_PAIRS_2 if m.shape[0] == 2 else _NO_PAIRS_N
    used = counts.sum(axis=0) > 0
    if used.sum() < 2:
        return _NAN, _ONE_VALUE
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
    return _percent_agreement(_as_matrix(data))[0]


def cohen_kappa(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """Cohen's kappa for two coders' equally long label vectors, over units both coded.

    Returns NaN if no unit was coded by both or only one category occurs (chance agreement 1).
    Raises AgreementError if the vectors are malformed or of different lengths.
    """
    return _cohen_kappa(_pair(a, b))[0]


def fleiss_kappa(data: npt.ArrayLike) -> float:
    """Fleiss' kappa for n coders with missing ratings (Gwet's 2014 generalisation).

    Units with fewer than two ratings are dropped from observed agreement but, as in Gwet, count
    towards the category prevalences. Returns NaN if no unit has two ratings or only one category
    occurs. Raises AgreementError for malformed input.
    """
    return _fleiss_kappa(_as_matrix(data))[0]


def gwet_ac1(data: npt.ArrayLike, n_categories: int | None = None) -> float:
    """Gwet's AC1 for nominal data, n coders, missing ratings as in Gwet (2014).

    ``n_categories`` is q (default: number of distinct observed values; pass 2 for binary codes).
    Returns NaN if no unit has two ratings or q < 2. Raises AgreementError for malformed input or
    ``n_categories`` below the number of observed categories.
    """
    return _gwet_ac1(_as_matrix(data), n_categories)[0]


def brennan_prediger(data: npt.ArrayLike, n_categories: int | None = None) -> float:
    """Brennan-Prediger kappa: chance agreement 1/q.

    ``n_categories`` is q (default: number of distinct observed values; pass 2 for binary codes).
    Returns NaN if no unit has two ratings or q < 2. Raises AgreementError for malformed input or
    ``n_categories`` below the number of observed categories.
    """
    return _brennan_prediger(_as_matrix(data), n_categories)[0]


def krippendorff_alpha(data: npt.ArrayLike, level: str = "nominal") -> float:
    """Krippendorff's alpha at level "nominal", "ordinal", "interval" or "ratio".

    Computed by the ``krippendorff`` package. Returns NaN when there are no pairable values or all
    pairable values are equal (expected disagreement 0). Raises AgreementError for malformed input,
    an unknown level, or negative values at the ratio level.
    """
    return _krippendorff_alpha(_as_matrix(data), level)[0]


def describe_undefined(
    data: npt.ArrayLike,
    statistic: str = "cohen_kappa",
    *,
    level: str = "nominal",
    n_categories: int | None = None,
) -> str | None:
    """Say why ``statistic`` (one of STATISTICS) is NaN on ``data``; None if it is defined.

    Takes the same data and options as the statistic (for cohen_kappa a 2 x n_units matrix).
    Raises AgreementError for an unknown statistic or malformed input.
    """
    m = _as_matrix(data)
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


# --------------------------------------------------------------------------- binary codes


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
    m = _pair(a, b)
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


def _counts(both: int, only_a: int, only_b: int, neither: int) -> tuple[int, int, int, int]:
    try:
        cells = tuple(operator.index(c) for c in (both, only_a, only_b, neither))
    except TypeError:
        raise AgreementError("counts must be integers") from None
    if min(cells) < 0:
        raise AgreementError(f"counts must be non-negative, got {cells}")
    return cells  # type: ignore[return-value]


# Closed forms for two coders, binary codes, no missing data. a = both, b = only A, c = only B,
# d = neither, N = a + b + c + d. Python ints keep the products exact for millions of units.


def _counts_stat(statistic: str, a: int, b: int, c: int, d: int) -> _Result:
    n = a + b + c + d
    if n == 0:
        return _NAN, _NO_PAIRS_2
    if statistic == "percent_agreement":
        return (a + d) / n, None
    if statistic == "cohen_kappa":
        # kappa = (p_o - p_e) / (1 - p_e) with p_e = p_A(1) p_B(1) + p_A(0) p_B(0); multiplying
        # through by N^2 gives 2(ad - bc) / ((a+b)(b+d) + (a+c)(c+d)).
        den = (a + b) * (b + d) + (a + c) * (c + d)
        return (2 * (a * d - b * c) / den, None) if den else (_NAN, _ONE_CATEGORY)
    if statistic == "krippendorff_alpha":
        # Each unit gives ordered pairs (v_A, v_B) and (v_B, v_A) with weight 1/(m_u - 1) = 1, so
        # the coincidences are o_11 = 2a, o_00 = 2d, o_01 = o_10 = b + c; n_1 = 2a + b + c,
        # n_0 = 2d + b + c, n.. = 2N. Nominal alpha = 1 - (n.. - 1) o_01 / (n_0 n_1).
        n1, n0 = 2 * a + b + c, 2 * d + b + c
        return (1 - (2 * n - 1) * (b + c) / (n0 * n1), None) if n0 * n1 else (_NAN, _ONE_VALUE)
    if statistic in ("gwet_ac1", "brennan_prediger"):
        p_o = (a + d) / n
        if statistic == "brennan_prediger":
            return _chance_corrected(p_o, 0.5), None
        pi = (2 * a + b + c) / (2 * n)  # presence prevalence over both coders' ratings
        return _chance_corrected(p_o, 2 * pi * (1 - pi)), None  # q = 2: sum pi_k(1-pi_k)/(q-1)
    raise AgreementError(f"unknown statistic {statistic!r}; use one of {STATISTICS}")


def percent_agreement_from_counts(both: int, only_a: int, only_b: int, neither: int) -> float:
    """Percent agreement (both + neither) / n from a 2 x 2 table; NaN if n = 0.

    Raises AgreementError for negative or non-integer counts.
    """
    return _counts_stat("percent_agreement", *_counts(both, only_a, only_b, neither))[0]


def kappa_from_counts(both: int, only_a: int, only_b: int, neither: int) -> float:
    """Cohen's kappa from a 2 x 2 table; NaN if empty or all units fall in one category.

    Raises AgreementError for negative or non-integer counts.
    """
    return _counts_stat("cohen_kappa", *_counts(both, only_a, only_b, neither))[0]


def alpha_from_counts(both: int, only_a: int, only_b: int, neither: int) -> float:
    """Krippendorff's nominal alpha for two coders, binary codes, no missing data.

    Returns NaN if the table is empty or only one value occurs. Raises AgreementError for
    negative or non-integer counts.
    """
    return _counts_stat("krippendorff_alpha", *_counts(both, only_a, only_b, neither))[0]


def ac1_from_counts(both: int, only_a: int, only_b: int, neither: int) -> float:
    """Gwet's AC1 with q = 2 from a 2 x 2 table; NaN only if the table is empty.

    Raises AgreementError for negative or non-integer counts.
    """
    return _counts_stat("gwet_ac1", *_counts(both, only_a, only_b, neither))[0]


def bp_from_counts(both: int, only_a: int, only_b: int, neither: int) -> float:
    """Brennan-Prediger kappa with q = 2 from a 2 x 2 table; NaN only if the table is empty.

    Raises AgreementError for negative or non-integer counts.
    """
    return _counts_stat("brennan_prediger", *_counts(both, only_a, only_b, neither))[0]


def describe_undefined_from_counts(
    both: int, only_a: int, only_b: int, neither: int, statistic: str = "cohen_kappa"
) -> str | None:
    """Say why the ``*_from_counts`` form of ``statistic`` is NaN; None if it is defined.

    ``statistic`` is one of STATISTICS except "fleiss_kappa". Raises AgreementError for an
    unknown statistic or invalid counts.
    """
    return _counts_stat(statistic, *_counts(both, only_a, only_b, neither))[1]


# --------------------------------------------------------------------------- bootstrap


def _percentile_interval(replicates: np.ndarray, level: float) -> tuple[float, float]:
    defined = replicates[~np.isnan(replicates)]
    # A CI from a minority of defined replicates would describe a different population of samples.
    if defined.size == 0 or defined.size < replicates.size / 2:
        return _NAN, _NAN
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(defined, [tail, 1.0 - tail])
    return float(low), float(high)


def _check_boot(n_boot: int, level: float) -> None:
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise AgreementError(f"n_boot must be at least 1, got {n_boot}")
    if not 0.0 < level < 1.0:
        raise AgreementError(f"level must be between 0 and 1, got {level}")


def bootstrap_ci(
    data: npt.ArrayLike,
    statistic: Callable[[np.ndarray], float],
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval for ``statistic(matrix) -> float`` by resampling units.

    Columns (units) are drawn with replacement with ``np.random.default_rng(seed)``, so a seed
    gives the same interval every time. NaN replicates are ignored; returns (nan, nan) if fewer
    than half are defined or there are no units. Raises AgreementError for malformed input,
    n_boot < 1 or level outside (0, 1).
    """
    m = _as_matrix(data)
    _check_boot(n_boot, level)
    n_units = m.shape[1]
    if n_units == 0:
        return _NAN, _NAN
    rng = np.random.default_rng(seed)
    # Loop over replicates (the statistic is an arbitrary callable); each draw is vectorised.
    replicates = np.array(
        [statistic(m[:, rng.integers(0, n_units, size=n_units)]) for _ in range(n_boot)],
        dtype=float,
    )
    return _percentile_interval(replicates, level)


def bootstrap_ci_from_counts(
    both: int,
    only_a: int,
    only_b: int,
    neither: int,
    statistic: Callable[[int, int, int, int], float],
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Unit bootstrap for a 2 x 2 table statistic such as :func:`kappa_from_counts`.

    Resampling N units with replacement is a multinomial draw of the four cells, so this equals
    :func:`bootstrap_ci` in distribution without building N-long arrays. Deterministic per seed;
    (nan, nan) if fewer than half the replicates are defined. Raises AgreementError for invalid
    counts, n_boot < 1 or level outside (0, 1).
    """
    cells = _counts(both, only_a, only_b, neither)
    _check_boot(n_boot, level)
    n = sum(cells)
    if n == 0:
        return _NAN, _NAN
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n, np.array(cells, dtype=float) / n, size=n_boot)
    replicates = np.array([statistic(*map(int, row)) for row in draws], dtype=float)
    return _percentile_interval(replicates, level)


# --------------------------------------------------------------------------- weighted binary units


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
        reason = _NO_PAIRS_2 if h.shape[0] <= 3 else _NO_PAIRS_N
        return {s: (_NAN, reason) for s in STATISTICS if s != "cohen_kappa"}
    rr = np.where(pairable, r, 2.0)  # avoid 0/0 outside the pairable cells
    agree = (k * (k - 1) + (r - k) * (r - k - 1)) / (rr * (rr - 1))
    p_o = float((h * agree)[pairable].sum() / n_pairable)
    pi1 = float((h * k / np.where(rated, r, 1.0))[rated].sum() / h[rated].sum())
    results["percent_agreement"] = (p_o, None)
    if pi1 in (0.0, 1.0):
        results["fleiss_kappa"] = (_NAN, _ONE_CATEGORY)
    else:
        results["fleiss_kappa"] = (_chance_corrected(p_o, pi1**2 + (1 - pi1) ** 2), None)
    results["gwet_ac1"] = (_chance_corrected(p_o, 2 * pi1 * (1 - pi1)), None)
    results["brennan_prediger"] = (_chance_corrected(p_o, 0.5), None)
    # Nominal alpha: o_01 = sum_u k(r-k)/(r-1) over pairable units; n_1, n_0 count pairable values.
    n1 = float((h * k)[pairable].sum())
    n0 = float((h * (r - k))[pairable].sum())
    o01 = float((h * k * (r - k) / (rr - 1))[pairable].sum())
    if n1 == 0 or n0 == 0:
        results["krippendorff_alpha"] = (_NAN, _ONE_VALUE)
    else:
        results["krippendorff_alpha"] = (1 - (n1 + n0 - 1) * o01 / (n0 * n1), None)
    return {s: results[s] for s in STATISTICS if s in results}
