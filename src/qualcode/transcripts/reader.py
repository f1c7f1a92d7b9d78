"""Plain-text transcripts (.txt/.md): front matter, canonical text, speaker turns.

Canonical text: the body after the front matter, decoded, without a BOM, with every line ending
turned into ``\\n``. All character offsets in qualcode refer to this text.

Body format: ``Label: text`` starts a turn; a line without a label continues the current turn;
blank lines separate paragraphs. A label counts as a speaker when it is declared
(``speakers:`` / ``interviewer:`` in front matter), is an interviewer or respondent label
(`DEFAULT_INTERVIEWER_LABELS`, `DEFAULT_RESPONDENT_LABELS`: ``I``, ``Q``, ``P``, ``R``, ``A``,
``Entrevistadora``, ``Risposta``...), or starts at least two turns in the transcript, or answers
the interviewer -- so a stray ``Es decir: ...`` line inside an answer does not become a speaker.
Which labels are the interviewer's is settled per transcript (see `speakers.py`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualcode.errors import TranscriptError
from qualcode.models import DEFAULT_INTERVIEWER_LABELS, DEFAULT_RESPONDENT_LABELS
from qualcode.transcripts.speakers import settle_interviewer_labels
from qualcode.yamlload import count_values, load_yaml

TEXT_SUFFIXES = (".txt", ".md")
# Other formats: suffix -> "module:function" with the signature of `read_text_transcript`,
# imported on first use so that each format's library loads only when needed.
FORMAT_READERS: dict[str, str] = {
    ".docx": "qualcode.transcripts.docx:read_docx_transcript",
    ".odt": "qualcode.transcripts.odt:read_odt_transcript",
    ".rtf": "qualcode.transcripts.textlayer:read_rtf_transcript",
    ".pdf": "qualcode.transcripts.textlayer:read_pdf_transcript",
    ".vtt": "qualcode.transcripts.subtitles:read_subtitle_transcript",
    ".srt": "qualcode.transcripts.subtitles:read_subtitle_transcript",
}
MAX_TRANSCRIPT_BYTES = 64 * 1024 * 1024
MAX_FRONT_MATTER_NODES = 10_000

# Front-matter keys that steer parsing and are not copied to metadata columns.
CONTROL_KEYS = frozenset({"id", "language", "interviewer", "speakers"})

LABEL_RE = re.compile(r"^[ \t]*(?P<label>[^\W\d_][\w.'’()\- ]{0,39}?)[ \t]*:(?:[ \t]+|$)")
ID_OK = re.compile(r"^[\w.\-]+$")


@dataclass(frozen=True)
class Turn:
    """One speaker turn: label (None before the first label), text span, paragraph spans.

    `start_time`/`end_time` (seconds) are set for transcripts with timed cues (subtitles).
    """

    speaker: str | None
    start: int
    end: int
    paragraphs: tuple[tuple[int, int], ...]
    start_time: float | None = None
    end_time: float | None = None


@dataclass
class Transcript:
    """A transcript read from disk: id, canonical text, metadata and turns."""

    id: str
    path: Path
    text: str
    language: str
    metadata: dict[str, str] = field(default_factory=dict)
    interviewer_labels: frozenset[str] = frozenset()
    turns: list[Turn] = field(default_factory=list)
    source_file: str = ""
    language_explicit: bool = False

    def is_interviewer(self, speaker: str | None) -> bool:
        return speaker is not None and speaker.casefold() in self.interviewer_labels


def find_transcript_files(inputs: Sequence[str | Path]) -> list[Path]:
    """Expand files and folders into a sorted list of transcript files.

    Folders are searched recursively for supported files (hidden files skipped). Raises
    TranscriptError for a missing path, an unsupported file given by name, or no file at all.
    """
    found: list[Path] = []
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.suffix.lower() in supported_suffixes()
                and not any(part.startswith((".", "~$")) for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            if path.suffix.lower() not in supported_suffixes():
                raise TranscriptError(
                    f"unsupported format '{path.suffix}' (supported: {', '.join(supported_suffixes())})",
                    file=path,
                )
            found.append(path)
        else:
            raise TranscriptError("no such file or folder", file=path)
    if not found:
        raise TranscriptError(
            f"no transcripts found (looked for {', '.join(supported_suffixes())} files)",
            file=", ".join(str(p) for p in inputs),
        )
    unique = sorted(dict.fromkeys(found))
    return unique


def decode_bytes(data: bytes, path: Path, encoding: str = "utf-8") -> str:
    """Decode a transcript's bytes; refuse empty, binary and undecodable files with the line."""
    if len(data) > MAX_TRANSCRIPT_BYTES:
        raise TranscriptError(
            f"file is larger than {MAX_TRANSCRIPT_BYTES // (1024 * 1024)} MiB; split it", file=path
        )
    if b"\x00" in data[:65536]:
        raise TranscriptError("binary file (contains NUL bytes), not a text transcript", file=path)
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TranscriptError(
            f"not valid {encoding} (byte 0x{data[exc.start]:02x}); save it as UTF-8 "
            "or pass --encoding (e.g. cp1252)",
            file=path,
            line=line,
        ) from None
    except LookupError:
        raise TranscriptError(f"unknown encoding '{encoding}'", file=path) from None
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise TranscriptError("file is empty", file=path)
    return text


def split_front_matter(text: str, path: Path) -> tuple[dict[str, Any], str, int]:
    """Split YAML front matter from the body. Returns (front matter, body, body's first line)."""
    import yaml

    if not text.startswith("---\n"):
        return {}, text, 1
    closing = re.search(r"^(?:---|\.\.\.)[ \t]*$", text[4:], flags=re.MULTILINE)
    if closing is None:
        raise TranscriptError("front matter opened with '---' is never closed", file=path, line=1)
    raw = text[4 : 4 + closing.start()]
    body_start = 4 + closing.end() + 1
    try:
        data = load_yaml(raw) if raw.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 2) if mark is not None else 1
        reason = getattr(exc, "problem", None) or "invalid YAML"
        raise TranscriptError(
            f"front matter is not valid YAML: {reason}", file=path, line=line
        ) from None
    except (ValueError, OverflowError):  # e.g. a date like 2025-13-45; never quote the value
        raise TranscriptError(
            "front matter has a value YAML cannot read (an impossible date like 2025-13-45?)",
            file=path,
        ) from None
    except RecursionError:
        raise TranscriptError("front matter is nested too deeply", file=path) from None
    if not isinstance(data, dict):
        raise TranscriptError("front matter must be a mapping of key: value", file=path, line=2)
    # YAML aliases can multiply a few lines.
    if count_values(data, MAX_FRONT_MATTER_NODES) > MAX_FRONT_MATTER_NODES:
        raise TranscriptError(
            f"front matter has more than {MAX_FRONT_MATTER_NODES} values (repeated aliases?)",
            file=path,
        )
    body_line = text[:body_start].count("\n") + 1
    return data, text[body_start:], body_line


def as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    return str(value).strip()


def labels_of(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, (list, tuple, dict)):  # a single label, even a number or a date
        return [str(value)]
    return [str(v) for v in value]


def parse_turns(
    body: str, declared: Iterable[str], interviewer_labels: Iterable[str]
) -> list[Turn]:
    """Split a body into speaker turns with their paragraph spans."""
    lines = body.split("\n")
    offsets = []
    pos = 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    candidates = [(LABEL_RE.match(line), i) for i, line in enumerate(lines)]
    is_speaker = _speaker_rule(candidates, declared, interviewer_labels)
    turns: list[Turn] = []
    speaker: str | None = None
    paragraphs: list[tuple[int, int]] = []
    para_start: int | None = None
    para_end = 0

    def close_paragraph() -> None:
        nonlocal para_start
        if para_start is not None:
            paragraphs.append((para_start, para_end))
            para_start = None

    def close_turn() -> None:
        close_paragraph()
        if paragraphs:
            turns.append(Turn(speaker, paragraphs[0][0], paragraphs[-1][1], tuple(paragraphs)))

    for (match, i), line in zip(candidates, lines, strict=False):
        start = offsets[i]
        label = match.group("label").strip() if match else None
        if match is not None and label is not None and is_speaker(label, speaker):
            close_turn()
            paragraphs = []
            speaker = label
            content_start = start + match.end()
        elif not line.strip():
            close_paragraph()
            continue
        else:
            content_start = start
        content = body[content_start : start + len(line)]
        stripped = content.strip()
        if not stripped:
            continue
        lead = len(content) - len(content.lstrip())
        if para_start is None:
            para_start = content_start + lead
        para_end = content_start + len(content.rstrip())
    close_turn()
    return turns


def _speaker_rule(
    candidates: list[tuple[re.Match[str] | None, int]],
    declared: Iterable[str],
    interviewer_labels: Iterable[str],
) -> Callable[[str, str | None], bool]:
    """Whether a ``Label:`` at a line start opens a turn, given the current speaker."""
    counts = Counter(m.group("label").strip() for m, _ in candidates if m)
    labels, declared = list(interviewer_labels), list(declared)
    # Answering the interviewer counts only for this transcript's interviewer (a P next to an
    # INT is the participant); every interviewer or respondent label opens a turn.
    known = {s.casefold() for s in declared} | settle_interviewer_labels(counts, labels)
    always = known | {s.casefold() for s in labels} | set(DEFAULT_RESPONDENT_LABELS)
    declared_only = bool(declared)

    def is_speaker(label: str, current: str | None) -> bool:
        if label.casefold() in always:
            return True
        if declared_only or len(label.split()) > 4:
            return False
        # A label used once still starts a turn when it answers the interviewer (or opens the
        # text); inside someone's answer it is more likely prose ("Es decir: ...").
        return counts[label] >= 2 or current is None or current.casefold() in known

    return is_speaker


def supported_suffixes() -> tuple[str, ...]:
    """Every file suffix qualcode reads as a transcript."""
    return TEXT_SUFFIXES + tuple(FORMAT_READERS)


def read_transcript(
    path: str | Path,
    *,
    default_language: str = "en",
    interviewer_labels: Sequence[str] = DEFAULT_INTERVIEWER_LABELS,
    encoding: str = "utf-8",
    root: Path | None = None,
) -> Transcript:
    """Read one transcript in any supported format. Raises TranscriptError naming the file."""
    path = Path(path)
    reader = FORMAT_READERS.get(path.suffix.lower())
    if reader is None:
        return read_text_transcript(
            path,
            default_language=default_language,
            interviewer_labels=interviewer_labels,
            encoding=encoding,
            root=root,
        )
    from importlib import import_module

    module, function = reader.split(":")
    return getattr(import_module(module), function)(
        path,
        default_language=default_language,
        interviewer_labels=interviewer_labels,
        encoding=encoding,
        root=root,
    )


def read_text_transcript(
    path: str | Path,
    *,
    default_language: str = "en",
    interviewer_labels: Sequence[str] = DEFAULT_INTERVIEWER_LABELS,
    encoding: str = "utf-8",
    root: Path | None = None,
) -> Transcript:
    """Read one .txt/.md transcript. Raises TranscriptError naming the file (and line)."""
    path = Path(path)
    try:
        too_big = path.stat().st_size > MAX_TRANSCRIPT_BYTES  # refuse before reading it all
        data = b"" if too_big else path.read_bytes()
    except OSError as exc:
        raise TranscriptError(f"cannot read file ({exc.strerror})", file=path) from None
    if too_big:
        raise TranscriptError(
            f"file is larger than {MAX_TRANSCRIPT_BYTES // (1024 * 1024)} MiB; split it", file=path
        )
    text = decode_bytes(data, path, encoding)
    front, body, _ = split_front_matter(text, path)
    if not body.strip():
        raise TranscriptError("transcript has front matter but no text", file=path)
    return build_transcript(
        path,
        front,
        body,
        default_language=default_language,
        interviewer_labels=interviewer_labels,
        root=root,
        id_line=2,
    )


def build_transcript(
    path: Path,
    front: dict[str, Any],
    body: str,
    *,
    default_language: str,
    interviewer_labels: Sequence[str],
    root: Path | None,
    read_labels: Callable[[Any], list[str]] = labels_of,
    more_speakers: Sequence[str] = (),
    id_line: int | None = None,
    keep_blank_metadata: bool = True,
) -> Transcript:
    """The Transcript of a body and its front matter, whatever the file format.

    `read_labels` reads the `interviewer` and `speakers` entries (documents also split "a; b");
    `more_speakers` are labels the format itself declares (bold labels of a document);
    `id_line` is where a bad `id` is reported; blank metadata values are dropped unless
    `keep_blank_metadata`. Raises TranscriptError for an id with other characters.
    """
    tid = as_text(front.get("id")) or path.stem
    if not ID_OK.match(tid):
        raise TranscriptError(
            f"transcript id '{tid}' may only contain letters, digits, '_', '-' and '.'",
            file=path,
            line=id_line,
        )
    language = (as_text(front.get("language")) or default_language).lower()
    named = read_labels(front.get("interviewer"))
    labels = [*interviewer_labels, *named]
    declared = [*read_labels(front.get("speakers")), *more_speakers]
    metadata = {
        str(k): as_text(v) for k, v in front.items() if str(k) not in CONTROL_KEYS and v is not None
    }
    turns = parse_turns(body, declared, labels)
    rel = path.relative_to(root).as_posix() if root is not None else path.name
    return Transcript(
        id=tid,
        path=path,
        text=body,
        language=language,
        metadata={
            k: v for k, v in metadata.items() if v is not None and (keep_blank_metadata or v)
        },
        interviewer_labels=settle_interviewer_labels((t.speaker for t in turns), labels, named),
        turns=turns,
        source_file=rel,
        language_explicit=front.get("language") is not None,
    )
