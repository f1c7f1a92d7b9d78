"""The one number formatter for what people read: terminal tables, the HTML report, Markdown."""

from __future__ import annotations

import math
from typing import Any, SupportsInt


def format_number(
    value: Any,
    decimals: int = 3,
    *,
    thousands: bool = False,
    missing: str = "",
    whole_floats: bool = False,
) -> str:
    """A value as text.

    Missing (None, pandas NA, a blank string) -> `missing`; NaN -> "–" (undefined, as the
    statistics tables say); a float -> `decimals` places, or as a whole number when
    `whole_floats` and it is one (a count that pandas stored as float); whole numbers with
    thousands separators (1,234) when `thousands`; anything else as str().
    """
    if (
        value is None
        or str(value) in ("<NA>", "NaT")
        or (isinstance(value, str) and not value.strip())
    ):
        return missing
    if isinstance(value, float):
        if math.isnan(value):
            return "–" if missing == "" else missing
        if not (whole_floats and value.is_integer()):
            return f"{value:.{decimals}f}"
        value = int(value)
    if thousands and isinstance(value, SupportsInt) and not isinstance(value, str):
        return f"{int(value):,}"
    return str(value)
