"""Layers of an output folder: whose decisions a coding includes.

The codings table `qualcode code` writes holds every coder's decisions at once: the automatic
codings nobody removed, and each coder's own adds. A *layer* is one coherent view of it:

* ``auto`` -- the automatic coding only, as it was before anyone's ``remove``; every decision
  is ignored;
* a coder's name -- the automatic coding as that coder sees it: auto plus that coder's own
  decisions, in order (their adds, minus the automatic codes they removed);
* ``final`` -- auto with every decision applied in the ledger's order (timestamp, then file
  and line): ``add`` codes the (segment, code) pair, ``remove`` uncodes it, whoever's coding it
  was. Decisions of reviewers are applied after all coders' decisions, so a reviewer's word
  wins over coders' however late they decided. With no decision every layer equals ``auto``.

A layer keeps the rows of the codings table it includes, in their contributor's name: a pair
present in the layer keeps its automatic row (when the automatic coding had it) and the rows
of the layer's coders who added it, so ``--coder X`` on a layer still means "the rows X
contributed". An automatic coding someone removed has no row in the table any more; a layer
that keeps it gets a row rebuilt from its segment (the segment's span, no matched words).

Only pairs some decision touched can differ from the table, so a layer is computed from the
decisions alone, as a `LayerDelta` (which coders' rows, which rows to drop, which automatic
rows to rebuild): the local engine applies it with pandas, the Dask engine on its workers. A
manual row no decision explains (a folder made by other software) stays whenever its coder
belongs to the layer.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qualcode import models as m
from qualcode.decisions.ledger import (
    REMOVED_AUTO,
    STATUS_APPLIED,
    STATUS_REDUNDANT,
    Decision,
    OverrideLedger,
)
from qualcode.decisions.reattach import effective_decisions
from qualcode.errors import AnalysisError

if TYPE_CHECKING:
    import pandas as pd

AUTO_LAYER = m.AUTO_CODER
FINAL_LAYER = "final"
DEFAULT_LAYER = FINAL_LAYER

Pair = tuple[str, str]  # (segment_id, code)
Key = tuple[str, str, str]  # (coder, segment_id, code); coder "auto" for automatic rows


@dataclass(frozen=True)
class LayerDelta:
    """How a layer differs from the codings table as written.

    ``coders``: the human coders whose rows the layer may keep (None: every coder);
    ``drop``: (coder, segment_id, code) manual rows of the table the layer leaves out;
    ``rebuilt``: (segment_id, code) automatic codings someone removed that the layer keeps
    (rows to rebuild from their segments), in decision order.
    """

    coders: frozenset[str] | None
    drop: frozenset[Key]
    rebuilt: tuple[Pair, ...]

    def keeps_table(self) -> bool:
        """True when the layer is the table as written (nothing to filter, drop or rebuild)."""
        return self.coders is None and not self.drop and not self.rebuilt


def applied_decisions(overrides: pd.DataFrame) -> list[Decision]:
    """The decisions a run applied (status applied or redundant, and re-attached ones on the
    segments they now apply to), in the order they apply."""
    frame = effective_decisions(overrides).reset_index(drop=True)
    if not len(frame) or m.STATUS not in frame:
        return []
    usable = set(frame.index[frame[m.STATUS].isin([STATUS_APPLIED, STATUS_REDUNDANT])])
    return [d for d in OverrideLedger(frame, ()).decisions if d.index in usable]


def check_layer(layer: str, overrides: pd.DataFrame, codings: pd.DataFrame | None = None) -> None:
    """AnalysisError unless `layer` is ``auto``, ``final`` or a coder of this output folder
    (a coder with an applied decision, or with manual codings in `codings`)."""
    if layer in (AUTO_LAYER, FINAL_LAYER):
        return
    known = {d.coder for d in applied_decisions(overrides)}
    if codings is not None and len(codings):
        known |= set(codings.loc[codings[m.SOURCE] != m.SOURCE_AUTO, m.CODER].dropna())
    if layer not in known:
        coders = ", ".join(sorted(map(str, known))) or "none"
        raise AnalysisError(
            f"unknown layer '{layer}': use auto, final or a coder's name (coders: {coders})"
        )


def _joins(layer: str, coder: str) -> bool:
    """Whether `coder`'s decisions and manual rows belong to `layer`."""
    if coder == m.AUTO_CODER or layer == AUTO_LAYER:
        return False
    return layer == FINAL_LAYER or coder == layer


def _layer_keys(
    auto: Iterable[Pair],
    manual: Iterable[Key],
    decisions: Sequence[Decision],
    layer: str,
    reviewers: Collection[str] = (),
) -> set[Key]:
    """The rows (coder, segment_id, code) of `layer` among the given ones. Pure.

    `auto`: automatic pairs before anyone's removals; `manual`: manual rows; `decisions`:
    applied decisions in ledger order. The automatic pairs start present, then the layer's
    decisions apply in order, reviewers' last; a present pair keeps its automatic row and the
    manual rows of the layer's coders.
    """
    auto = list(auto)
    present = set(auto)
    own = [d for d in decisions if _joins(layer, d.coder)]
    own.sort(key=lambda d: d.coder in reviewers)  # stable: reviewers last, each in order
    for decision in own:
        pair = (decision.segment_id, decision.code)
        if decision.action == m.ACTION_ADD:
            present.add(pair)
        else:
            present.discard(pair)
    keys = {(m.AUTO_CODER, s, c) for s, c in auto if (s, c) in present}
    keys.update(k for k in manual if _joins(layer, k[0]) and (k[1], k[2]) in present)
    return keys


def _removed_auto(overrides: pd.DataFrame) -> list[Pair]:
    """Automatic codings some decision removed (each once, in table order)."""
    overrides = effective_decisions(overrides)
    if not len(overrides) or REMOVED_AUTO not in overrides:
        return []
    gone = overrides[
        (overrides[m.ACTION] == m.ACTION_REMOVE) & overrides[REMOVED_AUTO].astype(bool)
    ]
    return list(dict.fromkeys(zip(gone[m.SEGMENT_ID], gone[m.CODE], strict=True)))


def layer_delta(
    overrides: pd.DataFrame, layer: str = DEFAULT_LAYER, reviewers: Collection[str] = ()
) -> LayerDelta:
    """What `layer` changes in the codings table, from out/overrides alone (see the module).

    Among the pairs decisions touched, the table holds (coder, pair) rows whose coder's last
    decision is ``add``, and no automatic row for a removed automatic pair; an automatic pair
    nobody removed keeps its row in every layer. Does not check the layer name (`check_layer`).
    """
    decisions = applied_decisions(overrides)
    last: dict[Key, str] = {}
    for d in decisions:
        last[(d.coder, d.segment_id, d.code)] = d.action
    written = [k for k, action in last.items() if action == m.ACTION_ADD]
    removed = _removed_auto(overrides)
    keys = _layer_keys(removed, written, decisions, layer, reviewers)
    if layer == FINAL_LAYER:
        coders: frozenset[str] | None = None
    else:
        coders = frozenset() if layer == AUTO_LAYER else frozenset([layer])
    return LayerDelta(
        coders=coders,
        drop=frozenset(k for k in written if k not in keys and _joins(layer, k[0])),
        rebuilt=tuple(p for p in removed if (m.AUTO_CODER, *p) in keys),
    )


def layer_codings(
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    overrides: pd.DataFrame,
    layer: str = DEFAULT_LAYER,
    reviewers: Collection[str] = (),
) -> pd.DataFrame:
    """The rows of the codings table in `layer` (``auto``, ``final`` or a coder's name).

    `segments`, `codings` and `overrides` are the tables of one output folder; `reviewers`
    names the coders whose decisions win in ``final``. Rebuilt automatic rows (see the module)
    come after the kept rows. Raises AnalysisError for an unknown layer.
    """
    check_layer(layer, overrides, codings)
    return apply_delta(codings, segments, layer_delta(overrides, layer, reviewers))


def apply_delta(codings: pd.DataFrame, segments: pd.DataFrame, delta: LayerDelta) -> pd.DataFrame:
    """`codings` (or one partition of it) as `delta` says, plus the rebuilt rows whose segments
    are in `segments` (pass none to rebuild nothing)."""
    import pandas as pd

    keep = keep_rows(codings, delta)
    kept = codings[keep]
    extra = rebuilt_rows(delta.rebuilt, segments, codings)
    if not len(extra):
        return kept.reset_index(drop=True)
    return pd.concat([kept, extra], ignore_index=True)


def keep_rows(codings: pd.DataFrame, delta: LayerDelta):
    """A boolean array: which rows of `codings` the layer keeps (rebuilt rows aside)."""
    import numpy as np
    import pandas as pd

    automatic = (codings[m.SOURCE] == m.SOURCE_AUTO).to_numpy(dtype=bool)
    if delta.coders is None:
        keep = np.ones(len(codings), dtype=bool)
    else:
        keep = automatic | codings[m.CODER].isin(list(delta.coders)).to_numpy(dtype=bool)
    if delta.drop:
        keys = pd.MultiIndex.from_arrays([codings[m.CODER], codings[m.SEGMENT_ID], codings[m.CODE]])
        keep &= automatic | ~np.asarray(keys.isin(list(delta.drop)), dtype=bool)
    return keep


def rebuilt_rows(pairs: Sequence[Pair], segments: pd.DataFrame, like: pd.DataFrame) -> pd.DataFrame:
    """Automatic coding rows for removed `pairs`, with the columns of `like`: the segment's
    columns and span, the code's parent (from `like`), no matched words."""
    import pandas as pd

    wanted = pd.DataFrame(list(pairs), columns=[m.SEGMENT_ID, m.CODE])
    shared = [c for c in like.columns if c in segments.columns and c != m.SEGMENT_ID]
    ids = segments[[m.SEGMENT_ID, *shared]].drop_duplicates(m.SEGMENT_ID)
    found = wanted.merge(ids.astype({m.SEGMENT_ID: object}), on=m.SEGMENT_ID)
    if m.PARENT in like:
        parents = like[[m.CODE, m.PARENT]].dropna().drop_duplicates(m.CODE)
        found = found.merge(parents.astype({m.CODE: object}), on=m.CODE, how="left")
    found[m.SOURCE] = m.SOURCE_AUTO
    found[m.CODER] = m.AUTO_CODER
    found = found.reindex(columns=like.columns)
    typed = {
        c: like[c].dtype
        for c in like.columns
        if like[c].dtype.kind not in "iub" or not found[c].isna().any()
    }
    return found.astype(typed)


def layer_pairs(
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    overrides: pd.DataFrame,
    layer: str,
    reviewers: Collection[str] = (),
) -> set[Pair]:
    """The (segment_id, code) pairs of `layer` (of `layer_codings`)."""
    rows = layer_codings(segments, codings, overrides, layer, reviewers)
    return set(zip(rows[m.SEGMENT_ID], rows[m.CODE], strict=True))


def describe_layer(overrides: pd.DataFrame, layer: str, reviewers: Collection[str] = ()) -> str:
    """The caption naming a layer, e.g. "layer: final (auto + 3 coders' decisions; reviewers:
    maria)", for the title of every table, figure and report built on it."""
    decisions = applied_decisions(overrides)
    if layer == AUTO_LAYER:
        return f"layer: auto (the automatic coding only; {len(decisions)} decision(s) ignored)"
    if layer != FINAL_LAYER:
        own = sum(d.coder == layer for d in decisions)
        return f"layer: {layer} (auto + {layer}'s {own} decision(s))"
    coders = {d.coder for d in decisions} - set(reviewers)
    who = f"{len(coders)} coder's" if len(coders) == 1 else f"{len(coders)} coders'"
    named = ", ".join(reviewers) if reviewers else "none"
    return f"layer: final (auto + {who} decisions; reviewers: {named})"


def layer_transcripts(
    overrides: pd.DataFrame, codings: pd.DataFrame | None, layer: str
) -> frozenset[str] | None:
    """The transcripts a coder's layer is counted on: those the coder covered (see
    `decisions.coverage`); None for ``auto`` and ``final``, which cover every transcript."""
    from qualcode.decisions.coverage import coverage

    if layer in (AUTO_LAYER, FINAL_LAYER):
        return None
    return coverage(overrides, codings).of(layer)
