"""The final coding: automatic coding with every decision applied in order, reviewers last.

For each (segment, code) the automatic coding (as it was before any ``remove``) is the start;
then every decision whose segment and code exist is applied in the ledger's order (timestamp,
then file and line): ``add`` codes the pair, ``remove`` uncodes it -- whoever's coding it was.
Decisions of reviewers are applied after all coders' decisions, so a reviewer's word wins over
coders' however late they decided.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from qualcode import models as m
from qualcode.decisions.ledger import (
    REMOVED_AUTO,
    STATUS_APPLIED,
    STATUS_REDUNDANT,
    OverrideLedger,
)

if TYPE_CHECKING:
    import pandas as pd

FINAL_CODER = "final"


def final_pairs(
    codings: pd.DataFrame, overrides: pd.DataFrame, reviewers: Collection[str] = ()
) -> set[tuple[str, str]]:
    """The (segment_id, code) pairs of the final coding (see the module docstring).

    `codings` and `overrides` are the tables of one output folder (out/codings, out/overrides
    with their status); `reviewers` names the coders whose decisions win.
    """
    auto = codings[codings[m.SOURCE] == m.SOURCE_AUTO]
    present = set(zip(auto[m.SEGMENT_ID], auto[m.CODE], strict=True))
    frame = overrides.reset_index(drop=True)
    if not len(frame):
        return present
    if REMOVED_AUTO in frame:
        gone = frame[(frame[m.ACTION] == m.ACTION_REMOVE) & frame[REMOVED_AUTO].astype(bool)]
        present |= set(zip(gone[m.SEGMENT_ID], gone[m.CODE], strict=True))
    usable = set(frame.index[frame[m.STATUS].isin([STATUS_APPLIED, STATUS_REDUNDANT])])
    ordered = [d for d in OverrideLedger(frame, ()).decisions if d.index in usable]
    ordered.sort(key=lambda d: d.coder in reviewers)  # stable: reviewers last, in order
    for decision in ordered:
        pair = (decision.segment_id, decision.code)
        if decision.action == m.ACTION_ADD:
            present.add(pair)
        else:
            present.discard(pair)
    return present


def final_codings(
    codings: pd.DataFrame, overrides: pd.DataFrame, reviewers: Collection[str] = ()
) -> pd.DataFrame:
    """The final coding as coding rows (one per pair, coder ``final``), for the analyses.

    Every final pair has a row in `codings` (its last effective decision is someone's ``add``,
    or nobody decided and the automatic row is still there), whose columns are kept.
    """
    pairs = final_pairs(codings, overrides, reviewers)
    keys = list(zip(codings[m.SEGMENT_ID], codings[m.CODE], strict=True))
    rows = codings[[key in pairs for key in keys]]
    rows = rows.drop_duplicates([m.SEGMENT_ID, m.CODE]).copy()
    rows[m.CODER] = FINAL_CODER
    return rows.reset_index(drop=True)
