"""Keyword in context: every occurrence of a word, a lemma or a codebook-style pattern across the
segments of an output folder, with the words around it and the codes already on its segment.

Matching is `qualcode code`'s own (`matching.CodebookMatcher`): a TERM is a phrase pattern
matched on lower-cased word forms, or on lookup lemmas with `lemma=True` (every inflection);
a `pattern` is read as in a codebook (a phrase, with ``*`` for up to two words, matched on
lemmas; or a mapping such as ``{regex: "TAR\\b"}`` or ``{tokens: [...]}``). Contexts are
`window` words of the same segment on each side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.assist.decided import codes_on_segments
from qualcode.errors import AnalysisError

if TYPE_CHECKING:
    import pandas as pd

    from qualcode.codebook.schema import Codebook
    from qualcode.output.folder import CodedOutput

KWIC_CODE = "kwic"
HIT = "hit"
LEFT, MATCH, RIGHT = "left", "match", "right"
CODES_ON_SEGMENT = "coded"
KWIC_COLUMNS = [
    HIT,
    m.TRANSCRIPT_ID,
    m.SPEAKER,
    LEFT,
    MATCH,
    RIGHT,
    CODES_ON_SEGMENT,
    m.SEGMENT_ID,
    m.LANGUAGE,
    m.START,
    m.END,
]
ELLIPSIS = "…"


@dataclass(frozen=True)
class Concordance:
    """What `kwic` returns: ``hits`` (KWIC_COLUMNS, numbered from 1 in transcript order;
    start/end are offsets of the match in the transcript's canonical text) and ``query``, the
    pattern as matched (for messages and the notes of accepted decisions)."""

    hits: pd.DataFrame
    query: str

    def numbered(self) -> list[tuple[int, str]]:
        """(hit number, segment id) of every hit, for `accept.resolve_selection`."""
        return list(zip(self.hits[HIT].tolist(), self.hits[m.SEGMENT_ID].tolist(), strict=True))


def query_codebook(item: Any, languages: Sequence[str]) -> Codebook:
    """A one-code codebook holding the pattern `item` in every language of `languages`.

    Raises AnalysisError with every problem of the pattern (as `codebook check` words them).
    """
    from qualcode.codebook.patterns import Collector, parse_patterns
    from qualcode.codebook.schema import Code, Codebook

    out = Collector(Path("--pattern"))
    patterns = parse_patterns({lang: [item] for lang in languages}, KWIC_CODE, False, None, out)
    if not out.problems:
        _check_tokens(patterns, out)
    if out.problems:
        raise AnalysisError(problems=out.problems)
    return Codebook(KWIC_CODE, "0", "", [Code(KWIC_CODE, patterns=patterns)])


def _check_tokens(patterns: list, out: Any) -> None:
    from spacy.errors import MatchPatternError
    from spacy.matcher import Matcher
    from spacy.vocab import Vocab

    matcher = Matcher(Vocab(), validate=True)
    for pattern in patterns[:1]:  # the same pattern in every language
        if pattern.kind != "tokens":
            continue
        try:
            matcher.add(pattern.id, [pattern.value])
        except (MatchPatternError, ValueError, TypeError, KeyError) as exc:
            out.add(f"invalid token pattern: {' '.join(str(exc).split())}", None)


def pattern_item(term: str | None, pattern: str | None, lemma: bool) -> Any:
    """The codebook pattern a command line asks for: TERM as a phrase (lower-cased word forms,
    or lemmas), or --pattern as written in a codebook (a phrase, or a YAML mapping)."""
    from qualcode.yamlload import load_yaml

    if (term is None) == (pattern is None):
        raise AnalysisError("give either a TERM or --pattern PATTERN")
    if term is not None:
        if not term.strip():
            raise AnalysisError("the TERM is empty")
        return {"phrase": term, "match": "lemma" if lemma else "lower"}
    text = (pattern or "").strip()
    if text.startswith("{"):
        import yaml

        try:
            return load_yaml(text)
        except yaml.YAMLError as exc:
            raise AnalysisError(f"--pattern is not a valid YAML mapping ({exc})") from None
    return text


def kwic(
    out: CodedOutput,
    item: Any,
    *,
    language: str | None = None,
    window: int = 8,
    include_interviewer: bool = False,
) -> Concordance:
    """Every match of the pattern `item` (see `pattern_item`) in the segments of `out`.

    `language` keeps the segments of one language; interviewer turns are left out unless
    `include_interviewer`. Raises AnalysisError for a bad pattern or window.
    """
    import pandas as pd

    from qualcode.matching.matcher import CodebookMatcher
    from qualcode.matching.pipelines import get_pipeline

    if window < 0:
        raise AnalysisError(f"--window must be 0 or more, not {window}")
    segments = out.segments
    if not include_interviewer:
        segments = segments[~segments[m.IS_INTERVIEWER].astype(bool)]
    if language is not None:
        segments = segments[segments[m.LANGUAGE] == language]
    segments = segments.sort_values([m.TRANSCRIPT_ID, m.SEGMENT_INDEX], kind="stable")
    languages = sorted(segments[m.LANGUAGE].dropna().unique().tolist()) or [language or "en"]
    book = query_codebook(item, languages)
    coded = codes_on_segments(out)
    rows: list[dict[str, Any]] = []
    for lang in languages:
        group = segments[segments[m.LANGUAGE] == lang]
        texts = group[m.TEXT].tolist()
        found = CodebookMatcher(book, get_pipeline(lang)).match_segments(texts)
        for seg, matches in zip(group.itertuples(index=False), found, strict=True):
            spans = dict.fromkeys((hit.start, hit.end) for hit in matches)  # once per span
            rows.extend(_row(seg, start, end, window, coded) for start, end in spans)
    rows.sort(key=lambda row: row.pop("_order"))
    frame = pd.DataFrame(rows, columns=KWIC_COLUMNS[1:])
    frame.insert(0, HIT, range(1, len(frame) + 1))
    return Concordance(frame.reset_index(drop=True), _describe(item))


def _row(seg: Any, start: int, end: int, window: int, coded: dict) -> dict[str, Any]:
    text: str = getattr(seg, m.TEXT)
    before, after = text[:start].split(), text[end:].split()
    left = before[len(before) - window :] if window else []
    right = after[:window]
    seg_start = int(getattr(seg, m.START))
    sid = str(getattr(seg, m.SEGMENT_ID))
    return {
        m.TRANSCRIPT_ID: getattr(seg, m.TRANSCRIPT_ID),
        m.SPEAKER: getattr(seg, m.SPEAKER),
        LEFT: " ".join([ELLIPSIS] * (len(before) > len(left)) + left),
        MATCH: " ".join(text[start:end].split()),
        RIGHT: " ".join(right + [ELLIPSIS] * (len(after) > len(right))),
        CODES_ON_SEGMENT: ", ".join(coded.get(sid, [])),
        m.SEGMENT_ID: sid,
        m.LANGUAGE: getattr(seg, m.LANGUAGE),
        m.START: seg_start + start,
        m.END: seg_start + end,
        "_order": (str(getattr(seg, m.TRANSCRIPT_ID)), int(getattr(seg, m.SEGMENT_INDEX)), start),
    }


def _describe(item: Any) -> str:
    if isinstance(item, dict) and "phrase" in item and item.get("match") in ("lower", "lemma"):
        return f"{item['phrase']}" + (" (lemma)" if item["match"] == "lemma" else "")
    return str(item)
