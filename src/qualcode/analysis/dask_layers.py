"""The layer (auto, a coder's, final) of a Dask analysis: the codings table as the layer sees it.

A layer differs from the codings table as written only on the pairs decisions touched
(`qualcode.decisions.layers.layer_delta`, worked out here from out/overrides, which is small):
each worker keeps its partition's rows as the delta says, and the few automatic rows the layer
rebuilds are made here from their segments and added as one more partition. The local engine
applies the same delta with `layer_codings`, so both engines count the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode import models as m
from qualcode.decisions.layers import (
    LayerDelta,
    check_layer,
    keep_rows,
    layer_delta,
    rebuilt_rows,
)

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas as pd


def _kept(partition: pd.DataFrame, delta: LayerDelta) -> pd.DataFrame:
    return partition[keep_rows(partition, delta)]


def layered_codings(
    codings: dd.DataFrame,
    folder: Path,
    segments: Callable[[Sequence[str]], dd.DataFrame],
    segment_columns: Sequence[str],
    layer: str,
    reviewers: Collection[str] = (),
) -> dd.DataFrame:
    """The Dask codings frame of `folder` as `layer` sees it.

    `segments(columns)` reads those columns of the segment table; `segment_columns` are the
    columns it has. Raises AnalysisError for an unknown layer.
    """
    import dask.dataframe as dd

    from qualcode.output.folder import load_output

    overrides = load_output(folder, segment_columns=[], coding_columns=[]).overrides
    check_layer(layer, overrides)
    delta = layer_delta(overrides, layer, reviewers)
    if delta.keeps_table():
        return codings
    kept = codings.map_partitions(_kept, delta, meta=codings._meta)
    if not delta.rebuilt:
        return kept
    shared = [c for c in codings.columns if c in segment_columns and c != m.SEGMENT_ID]
    table = segments([m.SEGMENT_ID, *shared])
    ids = list(dict.fromkeys(s for s, _ in delta.rebuilt))
    found = table[table[m.SEGMENT_ID].isin(ids)].compute()
    rows = rebuilt_rows(delta.rebuilt, found, codings._meta)
    return dd.concat([kept, dd.from_pandas(rows, npartitions=1)])
