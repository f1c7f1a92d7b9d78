"""REFI-QDA import, the accounting: what became of every coding of a selection in the project.

A project's selections are counted as written (`RefiProject.selections`: each coding of a
selection, and each selection without a code) and each one ends in exactly one place:

* imported -- it starts a coding row (one per segment, code and coder it overlaps);
* merged -- every part of it lies in a segment an earlier selection of the same code and coder
  already coded: it joins that row, and its span is kept (the row's start/end cover both and
  ``match_spans`` lists each stretch);
* skipped -- with its reason (code missing, outside every segment, not a text source...).

The three add up to the total; if they ever did not, the difference is reported as such
rather than hidden.
"""

from __future__ import annotations

from typing import Any

from qualcode.exchange.refi_codings import IMPORTED, MERGED, SKIP_OUTSIDE
from qualcode.exchange.refi_read import SELECTION_REASONS

UNACCOUNTED = "selections not accounted for (a qualcode bug: please report it)"


def account_selections(
    total: int, skipped: dict[str, int], outcomes: dict[str, int]
) -> dict[str, Any]:
    """{"total", "imported", "merged", "skipped": {reason: n}} for run.json's summary.

    `total` is the number of selection codings in the project, `skipped` the import's skip
    counts (only the reasons that concern selections are taken), `outcomes` the counts of
    IMPORTED and MERGED codings.
    """
    reasons = {
        reason: n
        for reason, n in sorted(skipped.items())
        if n and (reason in SELECTION_REASONS or reason == SKIP_OUTSIDE)
    }
    imported, merged = outcomes.get(IMPORTED, 0), outcomes.get(MERGED, 0)
    missing = total - imported - merged - sum(reasons.values())
    if missing:
        reasons[UNACCOUNTED] = missing
    return {"total": total, "imported": imported, "merged": merged, "skipped": reasons}


def selections_line(account: dict[str, Any]) -> str:
    """The accounting in one line: '12 coded selections: 9 imported, 2 merged ..., 1 skipped
    (1 codings that reference a missing code).'"""
    skipped = account.get("skipped", {})
    parts = [f"{account.get('imported', 0)} imported"]
    if account.get("merged"):
        parts.append(
            f"{account['merged']} merged into the row of another selection of the same segment, "
            "code and coder (spans kept)"
        )
    if skipped:
        reasons = "; ".join(f"{n} {reason}" for reason, n in skipped.items())
        parts.append(f"{sum(skipped.values())} skipped ({reasons})")
    return f"{account.get('total', 0)} coded selections: {', '.join(parts)}."
