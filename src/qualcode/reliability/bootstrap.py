"""Percentile bootstrap intervals of agreement statistics, resampling units.

Deterministic per seed (``np.random.default_rng(seed)``); an interval from fewer than half
defined replicates is (NaN, NaN), as it would describe a different population of samples.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from qualcode.errors import AgreementError
from qualcode.reliability.binary import checked_counts
from qualcode.reliability.stats import as_matrix

_NAN = float("nan")


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
    m = as_matrix(data)
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
    cells = checked_counts(both, only_a, only_b, neither)
    _check_boot(n_boot, level)
    n = sum(cells)
    if n == 0:
        return _NAN, _NAN
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n, np.array(cells, dtype=float) / n, size=n_boot)
    replicates = np.array([statistic(*map(int, row)) for row in draws], dtype=float)
    return _percentile_interval(replicates, level)
