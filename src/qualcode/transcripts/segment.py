"""Cutting a transcript into segments (turns, paragraphs or sentences) with stable ids.

A segment id is ``<transcript id>.<unit letter>.<10 hex of sha1(normalised text)>``, plus
``-2``, ``-3``... for repeated identical text within one transcript. It depends only on the
segment's own text, so re-running the coding or editing other passages never changes it;
normalisation (Unicode NFC, case folding, collapsed white space) means re-wrapping lines or fixing
capitalisation does not change it either.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from qualcode.transcripts.reader import Transcript, Turn

SentenceSplitter = Callable[[str, str], list[tuple[int, int]]]

_UNIT_LETTER = {"turn": "t", "paragraph": "p", "sentence": "s"}


@dataclass(frozen=True)
class SegmentRecord:
    """One segment of a transcript; offsets into the transcript's canonical text."""

    segment_id: str
    transcript_id: str
    unit: str
    index: int
    speaker: str | None
    is_interviewer: bool
    start: int
    end: int
    n_words: int
    text: str
    start_time: float | None = None
    end_time: float | None = None


def normalise_for_id(text: str) -> str:
    """The form of a segment's text that its id is hashed from."""
    # str.split() and str.strip() split on exactly the characters of regex \s: runs collapse
    # to one space, the ends are trimmed.
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def unit_of_segment_id(segment_id: str) -> str | None:
    """The unit a segment id names (``<transcript>.<t|p|s>.<digest>``), None for another id."""
    parts = segment_id.rsplit(".", 2)
    if len(parts) != 3:
        return None
    return next((unit for unit, letter in _UNIT_LETTER.items() if letter == parts[1]), None)


def stable_segment_id(transcript_id: str, unit: str, text: str, occurrence: int = 1) -> str:
    """Id of the `occurrence`-th segment with this normalised text in this transcript."""
    return _id_from_normalised(transcript_id, unit, normalise_for_id(text), occurrence)


def _id_from_normalised(transcript_id: str, unit: str, normalised: str, occurrence: int) -> str:
    digest = hashlib.sha1(normalised.encode("utf-8")).hexdigest()[:10]
    base = f"{transcript_id}.{_UNIT_LETTER[unit]}.{digest}"
    return base if occurrence == 1 else f"{base}-{occurrence}"


def _spans(
    transcript: Transcript, unit: str, split_sentences: SentenceSplitter | None
) -> list[tuple[Turn, int, int]]:
    """(turn, start, end) of each segment of `unit`, in text order."""
    spans: list[tuple[Turn, int, int]] = []
    for turn in transcript.turns:
        if unit == "turn":
            spans.append((turn, turn.start, turn.end))
            continue
        for p_start, p_end in turn.paragraphs:
            if unit == "paragraph":
                spans.append((turn, p_start, p_end))
                continue
            if split_sentences is None:  # pragma: no cover - programming error
                raise ValueError("sentence segmentation needs a sentence splitter")
            paragraph = transcript.text[p_start:p_end]
            for s_start, s_end in split_sentences(paragraph, transcript.language):
                piece = paragraph[s_start:s_end]
                lead = len(piece) - len(piece.lstrip())
                trail = len(piece.rstrip())
                if piece.strip():
                    spans.append((turn, p_start + s_start + lead, p_start + s_start + trail))
    return spans


def segment_transcript(
    transcript: Transcript, unit: str = "turn", split_sentences: SentenceSplitter | None = None
) -> list[SegmentRecord]:
    """Cut a transcript into segments of `unit` (turn | paragraph | sentence), in text order."""
    if unit not in _UNIT_LETTER:
        raise ValueError(f"unknown unit {unit!r}")
    seen: dict[str, int] = {}
    records = []
    for index, (turn, start, end) in enumerate(_spans(transcript, unit, split_sentences)):
        speaker = turn.speaker
        text = transcript.text[start:end]
        key = normalise_for_id(text)
        seen[key] = seen.get(key, 0) + 1
        records.append(
            SegmentRecord(
                segment_id=_id_from_normalised(transcript.id, unit, key, seen[key]),
                transcript_id=transcript.id,
                unit=unit,
                index=index,
                speaker=speaker,
                is_interviewer=transcript.is_interviewer(speaker),
                start=start,
                end=end,
                n_words=len(text.split()),
                text=text,
                start_time=turn.start_time,
                end_time=turn.end_time,
            )
        )
    return records
