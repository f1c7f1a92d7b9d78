"""Why a text got (or did not get) a code: the hits with their patterns, and the tokens with the
lemmas and norms the matchers saw."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from qualcode.codebook.schema import Codebook
from qualcode.validity.autocode import Hit, code_texts, codes_of

if TYPE_CHECKING:  # pandas is not imported for one text: `codebook test --text` must answer fast
    import pandas as pd


@dataclass(frozen=True)
class Token:
    """One token as the matchers see it: `lemma` is what a lemma phrase or a LEMMA test compares
    (the lower-cased lookup lemma, stored as the token's NORM)."""

    i: int
    text: str
    lower: str
    lemma: str
    start: int
    end: int


@dataclass(frozen=True)
class TextExplanation:
    """``codes``: the codes given (with parents); ``hits``: every surviving match;
    ``tokens``: every token with its lower-case form, lookup lemma and offsets."""

    language: str
    codes: list[str]
    hits: list[Hit]
    tokens: list[Token]


def explain_text(codebook: Codebook, text: str, language: str) -> TextExplanation:
    """Auto-code one text in `language` and show the tokens the patterns were matched against."""
    from qualcode.matching.pipelines import get_pipeline

    hits = code_texts(codebook, [text], [language])[0]
    given = codes_of(hits, dict(codebook.code_order()))
    doc = get_pipeline(language).make_docs([text])[0]
    tokens = [
        Token(t.i, t.text, t.lower_, t.norm_, t.idx, t.idx + len(t.text))
        for t in doc
        if not t.is_space
    ]
    return TextExplanation(language, [c for c in codebook.code_names if c in given], hits, tokens)


@dataclass(frozen=True)
class SegmentExplanation:
    """Every code on one segment of an output folder and where it came from.

    ``auto``: one row per match (code, pattern_id, line in the run's codebook copy, words);
    ``decisions``: every coder decision on the segment, in the order applied (code, action,
    coder, note, file, line, status); ``codes``: the codes on the segment after the decisions,
    per coder layer as in the codings table (source, coder, code).
    """

    segment_id: str
    transcript_id: str
    speaker: str
    text: str
    codebook_file: str
    auto: pd.DataFrame
    decisions: pd.DataFrame
    codes: pd.DataFrame


def explain_segment(folder, segment_id: str) -> SegmentExplanation:
    """Explain `segment_id` of the output folder `folder` (see SegmentExplanation)."""
    from pathlib import Path

    import pandas as pd

    from qualcode import models as m
    from qualcode.codebook import load_codebook
    from qualcode.errors import OutputError
    from qualcode.output import load_output

    out = load_output(folder)
    found = out.segments[out.segments[m.SEGMENT_ID] == segment_id]
    if found.empty:
        raise OutputError(f"no segment '{segment_id}' in this output", file=folder)
    segment = found.iloc[0]
    copy = Path(folder) / m.CODEBOOK_COPY
    lines = {}
    if copy.is_file():
        book = load_codebook(copy)
        lines = {p.id: p.line for c in book.codes for p in c.patterns}
    codings = out.codings[out.codings[m.SEGMENT_ID] == segment_id]
    auto = _auto_rows(codings, segment, lines)
    decisions = out.overrides
    if decisions is not None and len(decisions):
        # a decision re-attached after a transcript edit names this segment in reattached_to
        moved = (
            decisions[m.REATTACHED_TO]
            .fillna("")
            .astype(str)
            .str.split(";")
            .map(lambda ids: segment_id in ids)
            if m.REATTACHED_TO in decisions
            else False
        )
        here = (decisions[m.SEGMENT_ID] == segment_id) | moved
        decisions = decisions[here].reset_index(drop=True)
    else:
        decisions = pd.DataFrame(columns=[m.SEGMENT_ID, m.CODE, m.ACTION, m.CODER])
    return SegmentExplanation(
        segment_id,
        str(segment[m.TRANSCRIPT_ID]),
        str(segment[m.SPEAKER]),
        str(segment[m.TEXT]),
        str(copy),
        auto,
        decisions,
        codings[[m.SOURCE, m.CODER, m.CODE]].reset_index(drop=True),
    )


def _auto_rows(codings: pd.DataFrame, segment: pd.Series, lines: dict) -> pd.DataFrame:
    import pandas as pd

    from qualcode import models as m

    rows = []
    text, offset = str(segment[m.TEXT]), int(segment[m.START])
    for coding in codings[codings[m.SOURCE] == m.SOURCE_AUTO].to_dict("records"):
        ids = str(coding[m.PATTERN_ID] or "").split(";")
        spans = str(coding[m.MATCH_SPANS] or "").split(";")
        for pattern_id, span in zip(ids, spans, strict=False):
            start, _, end = span.partition("-")
            words = text[int(start) - offset : int(end) - offset] if end else ""
            rows.append(
                {
                    "code": coding[m.CODE],
                    "pattern_id": pattern_id,
                    "line": lines.get(pattern_id),
                    "words": words,
                }
            )
    return pd.DataFrame(rows, columns=["code", "pattern_id", "line", "words"])
