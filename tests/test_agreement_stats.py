"""Tests of the inter-coder agreement statistics core against published and hand-computed values."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from qualcode.errors import AgreementError
from qualcode.reliability import stats
from qualcode.reliability.binary import (
    BinaryCounts,
    ac1_from_counts,
    alpha_from_counts,
    binary_counts,
    bp_from_counts,
    describe_undefined_from_counts,
    kappa_from_counts,
    percent_agreement_from_counts,
    precision_recall_f1,
)
from qualcode.reliability.bootstrap import bootstrap_ci, bootstrap_ci_from_counts
from qualcode.reliability.stats import (
    brennan_prediger,
    cohen_kappa,
    describe_undefined,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
)

N = np.nan

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers x 12
# units, nominal labels 1..5, with missing data. Gwet (2014) reuses it for AC1/Fleiss/BP.
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
        [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
    ]
)

# Two coders, ten units, binary codes (the small example of Krippendorff 2011, section A).
BINARY_A = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
BINARY_B = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]


def char_level_vectors() -> tuple[np.ndarray, np.ndarray]:
    """1,000 characters: 50 coded by both, 100 by A only, 50 by B only, 800 by neither."""
    a = np.array([1] * 50 + [1] * 100 + [0] * 50 + [0] * 800, dtype=float)
    b = np.array([1] * 50 + [0] * 100 + [1] * 50 + [0] * 800, dtype=float)
    return a, b


# --------------------------------------------------------------------------- published values


@pytest.mark.parametrize(
    ("level", "expected"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_alpha_reproduces_krippendorff_2011_with_missing_data(level, expected):
    assert krippendorff_alpha(KRIPPENDORFF_2011, level) == pytest.approx(expected, abs=1e-3)


def test_percent_agreement_is_gwets_pa_on_krippendorff_data():
    # Units with >= 2 ratings: 1..11 (unit 12 has only B's 3, so it is not pairable).
    # Per unit sum_k r_ik(r_ik-1) / (r_i(r_i-1)):
    #   u1 {1,1,1} 1 | u2 {2,2,3,2} 3*2/(4*3) = 0.5 | u3 1 | u4 1 | u5 1 | u6 {1,2,3,4} 0
    #   u7 1 | u8 {1,1,2,1} 0.5 | u9 1 | u10 {5,5,5} 1 | u11 {1,1} 1
    # p_a = 9 / 11 = 0.81818
    assert percent_agreement(KRIPPENDORFF_2011) == pytest.approx(9 / 11, abs=1e-12)
    assert percent_agreement(KRIPPENDORFF_2011) == pytest.approx(0.818, abs=1e-3)


# Prevalences pi_k = mean over the 12 rated units of r_ik / r_i (Gwet 2014, missing ratings):
#   pi_1 = (1 + 1/4 + 3/4 + 1) / 12             = 3.00 / 12
#   pi_2 = (3/4 + 1 + 1/4 + 1/4 + 1) / 12        = 3.25 / 12
#   pi_3 = (1/4 + 1 + 1 + 1/4 + 1) / 12          = 3.50 / 12
#   pi_4 = (1/4 + 1) / 12                        = 1.25 / 12
#   pi_5 = 1 / 12
# Fleiss p_e = sum pi_k^2 = 34.375 / 144 = 0.238715 -> (0.818182 - 0.238715) / 0.761285 = 0.7612
# AC1 p_e = sum pi_k (1 - pi_k) / (q - 1) = (1 - 0.238715) / 4 = 0.190321 -> 0.7754
# BP p_e = 1 / 5 -> (0.818182 - 0.2) / 0.8 = 0.7727
@pytest.mark.parametrize(
    ("statistic", "expected"),
    [
        (fleiss_kappa, 0.761),
        (gwet_ac1, 0.775),
        (lambda d: brennan_prediger(d, n_categories=5), 0.773),
    ],
    ids=["fleiss_kappa", "gwet_ac1", "brennan_prediger_q5"],
)
def test_gwet_2014_values_on_krippendorff_data(statistic, expected):
    assert statistic(KRIPPENDORFF_2011) == pytest.approx(expected, abs=1e-3)


def test_brennan_prediger_defaults_q_to_observed_categories():
    # Five distinct labels are observed, so the default q is 5 and matches the published 0.7727;
    # with q = 10 chance agreement drops to 0.1: (0.818182 - 0.1) / 0.9 = 0.79798.
    assert brennan_prediger(KRIPPENDORFF_2011) == pytest.approx(0.7727, abs=1e-4)
    assert brennan_prediger(KRIPPENDORFF_2011, n_categories=10) == pytest.approx(0.79798, abs=1e-4)


def test_binary_ten_units_alpha_and_kappa_match_published_values():
    # a = both 1 = 1, b = A only = 1, c = B only = 3, d = neither = 5.
    # Kappa: p_o = 6/10; p_e = 0.2*0.4 + 0.8*0.6 = 0.56; (0.6 - 0.56) / 0.44 = 0.0909.
    # Alpha: n.. = 20, n_1 = 2+1+3 = 6, n_0 = 10+1+3 = 14; 1 - 19*4 / (14*6) = 0.0952.
    data = np.array([BINARY_A, BINARY_B], dtype=float)
    assert krippendorff_alpha(data) == pytest.approx(0.095, abs=1e-3)
    assert cohen_kappa(BINARY_A, BINARY_B) == pytest.approx(0.091, abs=1e-3)
    assert alpha_from_counts(*binary_counts(BINARY_A, BINARY_B)) == pytest.approx(8 / 84)
    assert kappa_from_counts(*binary_counts(BINARY_A, BINARY_B)) == pytest.approx(0.04 / 0.44)


def test_character_level_kappa_and_percent_agreement_from_counts_and_arrays():
    # p_o = (50 + 800) / 1000 = 0.85; p_A(1) = 0.15, p_B(1) = 0.10;
    # p_e = 0.15*0.10 + 0.85*0.90 = 0.78; kappa = (0.85 - 0.78) / 0.22 = 0.31818.
    assert kappa_from_counts(50, 100, 50, 800) == pytest.approx(0.318, abs=1e-3)
    assert percent_agreement_from_counts(50, 100, 50, 800) == pytest.approx(0.85, abs=1e-12)
    a, b = char_level_vectors()
    assert binary_counts(a, b) == BinaryCounts(both=50, only_a=100, only_b=50, neither=800)
    assert cohen_kappa(a, b) == pytest.approx(0.318, abs=1e-3)
    assert percent_agreement(np.vstack([a, b])) == pytest.approx(0.85, abs=1e-12)
    # Alpha: n_1 = 100 + 150 = 250, n_0 = 1600 + 150 = 1750; 1 - 1999*150 / (250*1750) = 0.31463.
    assert alpha_from_counts(50, 100, 50, 800) == pytest.approx(0.31463, abs=1e-5)
    assert krippendorff_alpha(np.vstack([a, b])) == pytest.approx(0.31463, abs=1e-5)


# --------------------------------------------------------------------------- hand-computed cases


def test_cohen_kappa_uses_category_marginals_not_yes_times_no():
    # Binary example: correct p_e = 0.2*0.4 + 0.8*0.6 = 0.56 -> 0.0909; using only the "yes"
    # product 0.08 would give (0.6 - 0.08) / 0.92 = 0.565.
    assert cohen_kappa(BINARY_A, BINARY_B) == pytest.approx(0.0909, abs=1e-4)
    # Three categories, uniform marginals: p_o = 3/6, p_e = 3 * (1/3 * 1/3) = 1/3,
    # kappa = (1/2 - 1/3) / (2/3) = 0.25.
    assert cohen_kappa([1, 2, 3, 1, 2, 3], [1, 2, 3, 2, 3, 1]) == pytest.approx(0.25)


def test_nominal_labels_are_arbitrary_numbers():
    # Same 3-category example relabelled 1,2,3 -> 10, 20, 30: still (1/2 - 1/3) / (2/3) = 0.25.
    assert cohen_kappa([10, 20, 30, 10, 20, 30], [10, 20, 30, 20, 30, 10]) == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # Perfect agreement, both categories: p_o = 1, p_e = .5*.5 + .5*.5 = .5 -> 1.
        ([0, 1, 0, 1], [0, 1, 0, 1], 1.0),
        # Always opposite: p_o = 0, p_e = 0.5 -> (0 - 0.5) / 0.5 = -1.
        ([0, 1, 0, 1], [1, 0, 1, 0], -1.0),
        # Mostly opposite: p_o = 1/4, p_A(1) = 3/4, p_B(1) = 1/2, p_e = 3/8 + 1/8 = 1/2 -> -0.5.
        ([1, 1, 1, 0], [0, 0, 1, 1], -0.5),
    ],
    ids=["perfect", "always_opposite", "systematic_disagreement"],
)
def test_cohen_kappa_hand_computed(a, b, expected):
    assert cohen_kappa(a, b) == pytest.approx(expected, abs=1e-12)
    assert kappa_from_counts(*binary_counts(a, b)) == pytest.approx(expected, abs=1e-12)


@pytest.mark.filterwarnings("error")
def test_code_nobody_used_gives_nan_kappa_with_reason_and_full_percent_agreement():
    # All zeros: p_o = 1 but p_e = 1*1 = 1, so kappa = 0/0 -> NaN, not 0 or 1.
    zeros = np.zeros((2, 8))
    assert percent_agreement(zeros) == 1.0
    assert np.isnan(cohen_kappa(zeros[0], zeros[1]))
    assert np.isnan(kappa_from_counts(0, 0, 0, 8))
    assert np.isnan(fleiss_kappa(zeros))
    assert np.isnan(krippendorff_alpha(zeros))
    assert np.isnan(alpha_from_counts(0, 0, 0, 8))
    assert "only one category" in describe_undefined(zeros, "cohen_kappa")
    assert "only one category" in describe_undefined(zeros, "fleiss_kappa")
    assert "expected disagreement is 0" in describe_undefined(zeros, "krippendorff_alpha")
    assert "only one category" in describe_undefined_from_counts(0, 0, 0, 8, "cohen_kappa")
    assert describe_undefined(zeros, "percent_agreement") is None


def test_ac1_and_bp_with_two_categories_are_one_for_a_code_nobody_used():
    # With q = 2 declared: AC1 p_e = 2 * 0 * 1 = 0 and BP p_e = 0.5, both (1 - p_e)/(1 - p_e) = 1.
    # Without q only one category is observed, so q = 1 and both are undefined.
    zeros = np.zeros((2, 8))
    assert gwet_ac1(zeros, n_categories=2) == 1.0
    assert brennan_prediger(zeros, n_categories=2) == 1.0
    assert ac1_from_counts(0, 0, 0, 8) == 1.0
    assert bp_from_counts(0, 0, 0, 8) == 1.0
    assert np.isnan(gwet_ac1(zeros))
    assert "n_categories" in describe_undefined(zeros, "gwet_ac1")


def test_unit_coded_by_only_one_coder_is_excluded_from_pairable_units():
    # Unit 4 is coded by B only. Remaining a = [0,1,1], b = [0,1,0]: p_o = 2/3;
    # p_A(1) = 2/3, p_B(1) = 1/3, p_e = 2/9 + 2/9 = 4/9; kappa = (2/9) / (5/9) = 0.4.
    a, b = [0, 1, 1, N], [0, 1, 0, 1]
    assert binary_counts(a, b) == BinaryCounts(1, 1, 0, 1)
    assert binary_counts(a, b).n == 3
    assert percent_agreement([a, b]) == pytest.approx(2 / 3)
    assert cohen_kappa(a, b) == pytest.approx(0.4)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(
    "statistic",
    ["percent_agreement", "cohen_kappa", "fleiss_kappa", "krippendorff_alpha", "gwet_ac1"],
)
def test_no_unit_coded_by_both_coders_is_nan_with_reason(statistic):
    data = np.array([[0, N, 1], [N, 1, N]])
    assert describe_undefined(data, statistic) == "no unit was coded by both coders"
    value = {
        "percent_agreement": percent_agreement,
        "cohen_kappa": lambda d: cohen_kappa(d[0], d[1]),
        "fleiss_kappa": fleiss_kappa,
        "krippendorff_alpha": krippendorff_alpha,
        "gwet_ac1": gwet_ac1,
    }[statistic](data)
    assert np.isnan(value)


def test_describe_undefined_is_none_for_defined_statistics():
    for statistic in stats.STATISTICS:
        data = KRIPPENDORFF_2011[:2] if statistic == "cohen_kappa" else KRIPPENDORFF_2011
        assert describe_undefined(data, statistic) is None, statistic
    assert describe_undefined_from_counts(50, 100, 50, 800, "krippendorff_alpha") is None


def test_fleiss_kappa_counts_single_rated_units_in_prevalence_only():
    # Units 1-3 = (1,1), (1,2), (2,2); unit 4 has a single rating 3 (by coder A).
    # p_a over units 1-3 = (1 + 0 + 1) / 3 = 2/3. Prevalences over all 4 rated units (Gwet):
    # pi_1 = (1 + .5) / 4 = 3/8, pi_2 = 3/8, pi_3 = 1/4; p_e = 9/64 + 9/64 + 4/64 = 22/64;
    # kappa = (2/3 - 22/64) / (42/64) = 0.49206. (Prevalences over units 1-3 only would give
    # p_e = 1/2 and kappa = 1/3.)
    data = np.array([[1, 1, 2, 3], [1, 2, 2, N]])
    assert fleiss_kappa(data) == pytest.approx((2 / 3 - 22 / 64) / (42 / 64), abs=1e-12)


@pytest.mark.parametrize(
    ("gold", "pred", "expected"),
    [
        # TP = 3, FP = 2, FN = 1: P = 3/5, R = 3/4, F1 = 6 / (6 + 2 + 1) = 2/3.
        ([1, 1, 1, 1, 0, 0, 0, 0], [1, 1, 1, 0, 1, 1, 0, 0], (0.6, 0.75, 2 / 3)),
        # No positive predictions: precision 0/0 -> NaN, recall 0/2 = 0, F1 = 0 / (0 + 0 + 2) = 0.
        ([1, 1, 0, 0], [0, 0, 0, 0], (N, 0.0, 0.0)),
        # No positives anywhere: all three are 0/0.
        ([0, 0, 0], [0, 0, 0], (N, N, N)),
        # NaN pairs are dropped: only units 1-3 count; TP = 1, FP = 1, FN = 0.
        ([1, 0, 0, 1], [1, 1, 0, N], (0.5, 1.0, 2 / 3)),
    ],
    ids=["typical", "no_positive_predictions", "no_positives", "missing_dropped"],
)
def test_precision_recall_f1(gold, pred, expected):
    np.testing.assert_allclose(precision_recall_f1(gold, pred), expected, equal_nan=True)


# --------------------------------------------------------------------------- from counts


@pytest.mark.parametrize(
    ("seed", "n_units", "p_a", "p_b"),
    [
        (0, 1, 0.5, 0.5),
        (1, 2, 0.5, 0.5),
        (2, 7, 0.3, 0.6),
        (3, 50, 0.1, 0.1),
        (4, 500, 0.5, 0.4),
        (5, 5000, 0.02, 0.05),
        (6, 40, 0.0, 0.0),
        (7, 40, 1.0, 1.0),
    ],
)
def test_from_counts_versions_equal_array_versions_on_random_binary_data(seed, n_units, p_a, p_b):
    rng = np.random.default_rng(seed)
    a = (rng.random(n_units) < p_a).astype(float)
    # B copies A 70% of the time so the statistics are not all near zero.
    b = np.where(rng.random(n_units) < 0.7, a, (rng.random(n_units) < p_b).astype(float))
    data = np.vstack([a, b])
    counts = binary_counts(a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pairs = [
            (percent_agreement_from_counts(*counts), percent_agreement(data)),
            (kappa_from_counts(*counts), cohen_kappa(a, b)),
            (alpha_from_counts(*counts), krippendorff_alpha(data)),
            (ac1_from_counts(*counts), gwet_ac1(data, n_categories=2)),
            (bp_from_counts(*counts), brennan_prediger(data, n_categories=2)),
        ]
    for from_counts, from_array in pairs:
        np.testing.assert_allclose(from_counts, from_array, rtol=1e-10, atol=1e-12, equal_nan=True)


def test_counts_functions_reject_negative_and_fractional_counts():
    with pytest.raises(AgreementError):
        kappa_from_counts(1, -1, 0, 3)
    with pytest.raises(AgreementError):
        alpha_from_counts(1.5, 0, 0, 3)


@pytest.mark.filterwarnings("error")
def test_no_units_at_all_is_nan_not_an_error():
    empty = np.empty((2, 0))
    assert np.isnan(percent_agreement(empty))
    assert np.isnan(fleiss_kappa(empty))
    assert np.isnan(krippendorff_alpha(empty))
    assert np.isnan(cohen_kappa([], []))
    assert all(np.isnan(bootstrap_ci(empty, percent_agreement)))


def test_empty_table_is_nan():
    assert np.isnan(percent_agreement_from_counts(0, 0, 0, 0))
    assert (
        describe_undefined_from_counts(0, 0, 0, 0, "gwet_ac1") == "no unit was coded by both coders"
    )


# --------------------------------------------------------------------------- bootstrap


def _noisy_pair(n_units: int = 300, seed: int = 11) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = (rng.random(n_units) < 0.4).astype(float)
    b = np.where(rng.random(n_units) < 0.85, a, 1 - a)
    return np.vstack([a, b])


def _kappa_of(matrix: np.ndarray) -> float:
    return cohen_kappa(matrix[0], matrix[1])


def test_bootstrap_ci_is_deterministic_for_a_seed_and_contains_the_estimate():
    data = _noisy_pair()
    first = bootstrap_ci(data, _kappa_of, n_boot=300, seed=3)
    second = bootstrap_ci(data, _kappa_of, n_boot=300, seed=3)
    other = bootstrap_ci(data, _kappa_of, n_boot=300, seed=4)
    assert first == second
    assert first != other
    low, high = first
    assert low < _kappa_of(data) < high
    assert 0.0 < high - low < 0.4


def test_bootstrap_ci_resamples_whole_units_keeping_coders_paired():
    # Perfect agreement: every resample of whole columns still agrees perfectly, so the interval
    # is exactly (1, 1); resampling cells independently per coder would fall well below 1.
    a = np.array([0, 1, 1, 0, 1, 0, 0, 1, 1, 0], dtype=float)
    assert bootstrap_ci(np.vstack([a, a]), percent_agreement, n_boot=200) == (1.0, 1.0)


def test_bootstrap_ci_is_nan_when_most_replicates_are_undefined():
    # Kappa of a code nobody used is NaN in every replicate.
    assert all(np.isnan(bootstrap_ci(np.zeros((2, 20)), _kappa_of, n_boot=50)))


def test_bootstrap_ci_ignores_a_minority_of_undefined_replicates():
    # 1 in 3 replicates NaN: the interval still comes from the defined ones.
    calls = iter(range(10_000))

    def sometimes_nan(matrix: np.ndarray) -> float:
        return np.nan if next(calls) % 3 == 0 else percent_agreement(matrix)

    low, high = bootstrap_ci(_noisy_pair(), sometimes_nan, n_boot=300)
    assert 0.75 < low < 0.85 < high < 0.92


def test_bootstrap_from_counts_matches_array_bootstrap_in_distribution():
    # Multinomial cell draws and column resampling have the same distribution; with 2,000
    # replicates the percentile ends of two independent runs agree to within ~0.02.
    a, b = char_level_vectors()
    from_counts = bootstrap_ci_from_counts(50, 100, 50, 800, kappa_from_counts, n_boot=2000)
    from_array = bootstrap_ci(np.vstack([a, b]), _kappa_of, n_boot=2000)
    np.testing.assert_allclose(from_counts, from_array, atol=0.02)
    assert from_counts[0] < 0.318 < from_counts[1]
    assert from_counts == bootstrap_ci_from_counts(50, 100, 50, 800, kappa_from_counts, n_boot=2000)


@pytest.mark.parametrize(("n_boot", "level"), [(0, 0.95), (10, 1.0), (10, 0.0)])
def test_bootstrap_rejects_bad_parameters(n_boot, level):
    with pytest.raises(AgreementError):
        bootstrap_ci(_noisy_pair(), _kappa_of, n_boot=n_boot, level=level)


# --------------------------------------------------------------------------- invalid input


@pytest.mark.parametrize(
    "call",
    [
        lambda: percent_agreement([[1, 2, 3]]),  # one coder
        lambda: fleiss_kappa([1, 2, 3]),  # 1-D
        lambda: cohen_kappa([1, 2, 3], [1, 2]),  # different lengths
        lambda: cohen_kappa(["yes"], ["no"]),  # not numeric
        lambda: binary_counts([0, 2], [0, 1]),  # not binary
        lambda: krippendorff_alpha(KRIPPENDORFF_2011, "cardinal"),  # unknown level
        lambda: krippendorff_alpha([[-1, 2], [1, 2]], "ratio"),  # negative ratio values
        lambda: gwet_ac1(KRIPPENDORFF_2011, n_categories=3),  # q below observed categories
        lambda: brennan_prediger(KRIPPENDORFF_2011, n_categories=5.5),  # q not an integer
        lambda: describe_undefined(KRIPPENDORFF_2011, "cronbach"),  # unknown statistic
        lambda: percent_agreement([[1, np.inf], [1, 2]]),  # infinite value
        lambda: describe_undefined(KRIPPENDORFF_2011, "cohen_kappa"),  # kappa needs 2 coders
    ],
)
def test_invalid_input_raises_agreement_error(call):
    with pytest.raises(AgreementError):
        call()
