"""Timed transcripts: WebVTT (.vtt) and SubRip (.srt) subtitles become speaker turns.

Each cue's speaker is its voice tag (``<v Interviewer>...``, several voices in one cue are split)
or a ``Name:`` prefix (a label used by at least two cues, an interviewer or respondent label, or
one answering the interviewer). A cue without a speaker continues the current speaker's turn;
before any speaker is known, each such cue is a turn of its own. Consecutive cues of one speaker
merge into one turn whose ``start_time`` and ``end_time`` (seconds) are those of its first and
last cue.

Canonical text: one block per turn, ``Speaker: cue text`` with one line per cue, blocks
separated by a blank line, so it reads like a `.txt` transcript. Inside a cue, line breaks become
spaces; markup (``<i>``, ``<c.x>``, inline timestamps) is dropped and entities are decoded.
"""

from __future__ import annotations

import html
import io
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qualcode.errors import TranscriptError
from qualcode.models import DEFAULT_INTERVIEWER_LABELS, DEFAULT_RESPONDENT_LABELS
from qualcode.transcripts.reader import ID_OK, LABEL_RE, Transcript, Turn, decode_bytes
from qualcode.transcripts.speakers import settle_interviewer_labels

SUBTITLE_FORMATS = {".vtt": "vtt", ".srt": "srt"}
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:\s+(?P<name>[^>]*))?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_WS = re.compile(r"\s+")
_TIME = re.compile(r"^(?:(?P<h>\d+):)?(?P<m>\d{1,2}):(?P<s>\d{1,2})[.,](?P<ms>\d{1,3})$")
_TIMING = re.compile(
    r"^\s*(?:\d+:)?\d{1,2}:\d{1,2}[.,]\d{1,3}\s*-->\s*(?:\d+:)?\d{1,2}:\d{1,2}[.,]\d{1,3}(?:\s|$)"
)
_MAX_LABEL_WORDS = 4


@dataclass(frozen=True)
class _Part:
    """One speaker's text within one cue."""

    start: float
    end: float
    voice: str | None
    text: str


def read_subtitle_transcript(
    path: str | Path,
    *,
    default_language: str = "en",
    interviewer_labels: Sequence[str] = DEFAULT_INTERVIEWER_LABELS,
    encoding: str = "utf-8",
    root: Path | None = None,
) -> Transcript:
    """Read one .vtt or .srt file into a Transcript with timed turns.

    The transcript id is the file name; country, role and language come from a metadata sheet
    (``--meta``) or default. Raises TranscriptError naming the file for an undecodable or
    malformed file, or one without any cue text.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TranscriptError(f"cannot read file ({exc.strerror})", file=path) from None
    text = decode_bytes(data, path, encoding)
    parts = _parse_cues(text, path)
    if not parts:
        raise TranscriptError("no cue with text in this subtitle file", file=path)
    body, turns = _turns(_with_speakers(parts, list(interviewer_labels)))
    tid = path.stem
    if not ID_OK.match(tid):
        raise TranscriptError(
            f"transcript id '{tid}' (the file name) may only contain letters, digits, "
            "'_', '-' and '.'; rename the file",
            file=path,
        )
    rel = path.relative_to(root).as_posix() if root is not None else path.name
    return Transcript(
        id=tid,
        path=path,
        text=body,
        language=default_language.lower(),
        metadata={},
        interviewer_labels=settle_interviewer_labels(
            (t.speaker for t in turns), interviewer_labels
        ),
        turns=turns,
        source_file=rel,
    )


def _seconds(stamp: str, path: Path) -> float:
    match = _TIME.match(stamp.strip())
    if match is None:
        raise TranscriptError(f"invalid cue timestamp '{stamp}'", file=path)
    hours = int(match.group("h") or 0)
    millis = int(match.group("ms").ljust(3, "0"))
    return hours * 3600 + int(match.group("m")) * 60 + int(match.group("s")) + millis / 1000


def _clean(raw: str) -> str:
    return _WS.sub(" ", html.unescape(_TAG.sub("", raw))).strip()


def _check_blocks(text: str, fmt: str, path: Path) -> None:
    """Refuse a cue block without a timing line: the parser would drop its text silently."""
    for index, match in enumerate(re.finditer(r"(?:[^\n]*\S[^\n]*(?:\n|$))+", text)):
        lines = match.group().split("\n")
        head = lines[0].strip()
        if fmt == "vtt" and (index == 0 or head.split(" ")[0] in ("NOTE", "STYLE", "REGION")):
            continue
        if not any(_TIMING.match(line) for line in lines[:2]):
            raise TranscriptError(
                "cue block without a valid timing line (00:00:01.000 --> 00:00:02.000); "
                "its text would be lost",
                file=path,
                line=text.count("\n", 0, match.start()) + 1,
            )


def _parse_cues(text: str, path: Path) -> list[_Part]:
    """Every cue's text split by voice, with its times."""
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    fmt = SUBTITLE_FORMATS[path.suffix.lower()]
    try:
        captions = webvtt.from_buffer(io.StringIO(text), format=fmt).captions
    except (MalformedFileError, MalformedCaptionError, ValueError, IndexError) as exc:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        kind = "WebVTT" if fmt == "vtt" else "SubRip (.srt)"
        raise TranscriptError(f"not a valid {kind} file: {detail}", file=path) from None
    _check_blocks(text, fmt, path)
    parts: list[_Part] = []
    for caption in captions:
        start, end = _seconds(caption.start, path), _seconds(caption.end, path)
        raw = caption.raw_text
        voices = list(_VOICE.finditer(raw))
        if not voices:
            cleaned = _clean(raw)
            if cleaned:
                parts.append(_Part(start, end, None, cleaned))
            continue
        lead = _clean(raw[: voices[0].start()])
        if lead:
            parts.append(_Part(start, end, None, lead))
        for i, voice in enumerate(voices):
            stop = voices[i + 1].start() if i + 1 < len(voices) else len(raw)
            cleaned = _clean(raw[voice.end() : stop])
            name = _clean(voice.group("name") or "") or None
            if cleaned:
                parts.append(_Part(start, end, name, cleaned))
    return parts


def _with_speakers(parts: list[_Part], labels: list[str]) -> list[tuple[str | None, _Part]]:
    """Each part with its speaker: its voice, an accepted ``Name:`` label, the speaker of the
    turn it continues, or None before any speaker is known."""
    prefixed: list[tuple[str, str] | None] = []
    for part in parts:
        match = LABEL_RE.match(part.text) if part.voice is None else None
        label = match.group("label").strip() if match else None
        if match is not None and label and len(label.split()) <= _MAX_LABEL_WORDS:
            prefixed.append((label, part.text[match.end() :].strip()))
        else:
            prefixed.append(None)
    counts = Counter(p[0] for p in prefixed if p is not None)
    interviewer = settle_interviewer_labels([*counts, *(p.voice for p in parts)], labels)
    always = {s.casefold() for s in (*labels, *DEFAULT_RESPONDENT_LABELS)}
    result: list[tuple[str | None, _Part]] = []
    current: str | None = None
    for part, prefix in zip(parts, prefixed, strict=True):
        if part.voice is not None:
            current = part.voice
            result.append((current, part))
            continue
        # As in .txt transcripts: a label used once still counts when it opens the text or
        # answers the interviewer; inside someone's answer it is more likely prose.
        if prefix is not None and (
            counts[prefix[0]] >= 2
            or prefix[0].casefold() in always
            or current is None
            or current.casefold() in interviewer
        ):
            current = prefix[0]
            if prefix[1]:
                result.append((current, _Part(part.start, part.end, None, prefix[1])))
        else:
            result.append((current, part))
    return result


def _turns(parts: list[tuple[str | None, _Part]]) -> tuple[str, list[Turn]]:
    """Merge consecutive parts of one speaker; build the canonical text and its timed turns."""
    groups: list[tuple[str | None, list[_Part]]] = []
    for speaker, part in parts:
        previous = groups[-1][0] if groups else None
        if (
            speaker is not None
            and previous is not None
            and speaker.casefold() == previous.casefold()
        ):
            groups[-1][1].append(part)
        else:
            groups.append((speaker, [part]))
    body = ""
    turns: list[Turn] = []
    for speaker, group in groups:
        if body:
            body += "\n\n"
        if speaker is not None:
            body += f"{speaker}: "
        start = len(body)
        body += "\n".join(p.text for p in group)
        end = len(body)
        turns.append(
            Turn(speaker, start, end, ((start, end),), group[0].start, max(p.end for p in group))
        )
    return body + "\n", turns
