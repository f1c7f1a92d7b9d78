"""What a coder (or the final coding) has decided in an output folder: the segments to learn from,
their codes, and the segments still to decide.

A human coder is reconstructed as `qualcode agree` does (`reliability.units.coders_from_output`):
their own codings, on the transcripts in which they made at least one decision. Those transcripts'
segments are *decided*: a segment with the code is a positive, one without it a negative. The
segments of the other transcripts are the *candidates* to rank. The ``final`` layer is the coding
of the output folder as written (automatic codings kept plus every coder's decisions), decided on
the transcripts some human coder covered. Interviewer turns are left out unless the run coded
them (``--code-interviewer``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from qualcode import models as m
from qualcode.errors import AnalysisError

if TYPE_CHECKING:
    import pandas as pd

    from qualcode.output.folder import CodedOutput

FINAL_LAYER = "final"
LAYER_CHOICES = (FINAL_LAYER,)
SEGMENT_COLUMNS = [
    m.SEGMENT_ID,
    m.TRANSCRIPT_ID,
    m.SEGMENT_INDEX,
    m.SPEAKER,
    m.IS_INTERVIEWER,
    m.LANGUAGE,
    m.TEXT,
]


@dataclass(frozen=True)
class Decided:
    """The segments of one source of decisions.

    ``segments``: the segments considered (SEGMENT_COLUMNS, transcript order), with a boolean
    column ``decided``; ``labels``: per code, a boolean array over those rows (True: the source
    gave the code); ``codes``: the codes asked for, in codebook order; ``source``: ``coder NAME``
    or ``layer final``; ``coded``: per segment id, the codes already on it in the output folder.
    """

    segments: pd.DataFrame
    labels: dict[str, np.ndarray]
    codes: list[str]
    source: str
    coded: dict[str, list[str]]

    @property
    def decided(self) -> np.ndarray:
        return self.segments["decided"].to_numpy(dtype=bool)

    def model_name(self) -> str:
        """File name of this source's model under out/models/."""
        kind, name = self.source.split(" ", 1)
        return f"suggest-{kind}-{name}.json"


def pick_codes(out: CodedOutput, codes: Sequence[str] | None) -> list[str]:
    """The codes asked for (all codes of the run when None), in codebook order.

    Raises AnalysisError naming every code that is not in the run's codebook.
    """
    known = [name for name, _ in out.code_order]
    wanted = list(codes or [])
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise AnalysisError(
            f"not a code of the codebook of {out.folder}: {', '.join(unknown)} "
            f"(known: {', '.join(known)})"
        )
    return [c for c in known if not wanted or c in wanted]


def decided_segments(
    out: CodedOutput,
    *,
    coder: str | None = None,
    layer: str | None = None,
    codes: Sequence[str] | None = None,
) -> Decided:
    """The decided segments of `coder` (a human coder) or `layer` ("final"), and the candidates.

    Raises AnalysisError when neither or both are given, for the automatic coder, or for a
    coder who made no decision in this output folder (the message lists the coders).
    """
    from qualcode.reliability.units import coded_segments, coders_from_output

    if (coder is None) == (layer is None):
        raise AnalysisError("give either a coder (--coder NAME) or a layer (--layer final)")
    if layer is not None and layer not in LAYER_CHOICES:
        raise AnalysisError(f"layer must be one of {', '.join(LAYER_CHOICES)}, not '{layer}'")
    chosen = pick_codes(out, codes)
    coders = coders_from_output(out)
    humans = {name: c for name, c in coders.items() if name != m.AUTO_CODER}
    segments = _segments(out)
    if coder is not None:
        if coder == m.AUTO_CODER:
            raise AnalysisError(
                "'auto' is the codebook itself; learn from a person's decisions (--coder NAME)"
            )
        if coder not in humans:
            listed = ", ".join(sorted(humans)) or "none yet"
            raise AnalysisError(
                f"coder '{coder}' made no decision in {out.folder} (coders: {listed})"
            )
        coverage = set(humans[coder].coverage)
        pairs = coded_segments(humans[coder], segments)
        source = f"coder {coder}"
    else:
        coverage = set().union(*(c.coverage for c in humans.values()))
        pairs = out.codings[[m.SEGMENT_ID, m.CODE]].drop_duplicates()
        source = f"layer {layer}"
    segments = segments.assign(decided=segments[m.TRANSCRIPT_ID].isin(coverage).to_numpy())
    ids = segments[m.SEGMENT_ID]
    labels = {
        code: ids.isin(pairs.loc[pairs[m.CODE] == code, m.SEGMENT_ID]).to_numpy(dtype=bool)
        for code in chosen
    }
    return Decided(segments, labels, chosen, source, codes_on_segments(out))


def _segments(out: CodedOutput) -> pd.DataFrame:
    segments = out.segments
    missing = [c for c in SEGMENT_COLUMNS if c not in segments.columns]
    if missing:
        raise AnalysisError(f"the segments table of {out.folder} lacks {', '.join(missing)}")
    if not out.manifest.get("options", {}).get("code_interviewer", False):
        segments = segments[~segments[m.IS_INTERVIEWER].astype(bool)]
    ordered = segments.sort_values([m.TRANSCRIPT_ID, m.SEGMENT_INDEX], kind="stable")
    return ordered[SEGMENT_COLUMNS].reset_index(drop=True)


def codes_on_segments(out: CodedOutput) -> dict[str, list[str]]:
    """segment id -> the codes the output folder gives it (any source), in codebook order."""
    rank = {name: i for i, (name, _) in enumerate(out.code_order)}
    found: dict[str, set[str]] = {}
    for sid, code in zip(out.codings[m.SEGMENT_ID], out.codings[m.CODE], strict=True):
        found.setdefault(str(sid), set()).add(str(code))
    return {
        sid: sorted(codes, key=lambda c: (rank.get(c, len(rank)), c))
        for sid, codes in found.items()
    }
