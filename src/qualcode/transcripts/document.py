"""Documents (.docx, .odt, .rtf, .pdf) as a list of blocks -> metadata, canonical text, turns.

Each format's reader turns its file into `Block`s -- paragraphs (with the bold text that opens
them, when the format has bold) and tables -- and `read_blocks` does the rest the same way for
all of them:

* metadata may open the document, before the interview: a two-column table
  (``Country | Italy``), ``Key: value`` lines for the well-known keys (`META_LINE_KEYS`), or a
  YAML block between two ``---`` paragraphs, exactly like a `.txt` front matter. It is not part
  of the canonical text;
* the canonical text is the other paragraphs in order, separated by a blank line; a later table
  is kept as text, one paragraph per row with cells joined by `` | ``;
* a speaker label is either **bold** at the start of a paragraph (``**INT:** Did you...``,
  ``**Anna**: Yes...``, a bold label alone in its paragraph followed by the answer, or a bold
  label without colon used at least twice) or a plain ``Name:`` prefix (the `.txt` rules). When
  the document has bold labels, only those (and interviewer and respondent labels) start turns,
  so a ``Nota: ...`` inside an answer stays text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualcode.errors import TranscriptError
from qualcode.transcripts.reader import (
    LABEL_RE,
    Transcript,
    build_transcript,
    labels_of,
    split_front_matter,
)

# Keys accepted as bare ``Key: value`` lines at the top of a document. Deliberately short: a
# first line ``Interviewer: Good morning`` is a turn, not metadata.
META_LINE_KEYS = frozenset(
    {
        "id",
        "country",
        "role",
        "language",
        "date",
        "interview_date",
        "interview_year",
        "organisation",
        "organization",
        "site",
        "location",
    }
)
_META_LINE = re.compile(r"^\s*(?P<key>[^\W\d][\w \-]{0,39}?)\s*:\s*(?P<value>\S.*?)\s*$")
_MAX_LABEL_WORDS = 4


@dataclass(frozen=True)
class Block:
    """A paragraph (`text`, and `bold`: the bold text it opens with) or a table (`rows`)."""

    text: str = ""
    bold: str = ""
    rows: tuple[tuple[str, ...], ...] | None = None


def read_blocks(
    path: Path,
    blocks: list[Block],
    *,
    default_language: str,
    interviewer_labels: Sequence[str],
    root: Path | None,
) -> Transcript:
    """The transcript of a document's blocks. Raises TranscriptError naming the file for
    metadata that does not parse or a document without text."""
    front, rest = leading_metadata(blocks, path)
    body, bold_labels = body_of(rest)
    if not body.strip():
        raise TranscriptError("document has no text (besides metadata)", file=path)
    return build_transcript(
        path,
        front,
        body,
        default_language=default_language,
        interviewer_labels=interviewer_labels,
        root=root,
        read_labels=split_labels,
        more_speakers=bold_labels,
        keep_blank_metadata=False,
    )


# --- metadata ----------------------------------------------------------------------------------


def normalise_key(key: str) -> str:
    return re.sub(r"[\s\-]+", "_", key.strip().casefold())


def metadata_table(rows: Sequence[Sequence[str]]) -> dict[str, str] | None:
    """A two-column key/value table as metadata, or None when the table is something else."""
    kept = [list(r) for r in rows if any(r)]
    if not kept or any(len(r) != 2 for r in kept):
        return None
    if [c.casefold() for c in kept[0]] in (["key", "value"], ["field", "value"]):
        kept = kept[1:]
    found = {}
    for key, value in kept:
        if not key or len(key) > 40 or "\n" in key:
            return None
        found[normalise_key(key)] = value
    return found


def leading_metadata(blocks: list[Block], path: Path) -> tuple[dict[str, Any], list[Block]]:
    """Metadata at the top (YAML block, key/value tables, ``Key: value`` lines) and the rest."""
    i = 0
    while i < len(blocks) and blocks[i].rows is None and not blocks[i].text.strip():
        i += 1
    if i < len(blocks) and blocks[i].rows is None and blocks[i].text.strip() == "---":
        for j in range(i + 1, len(blocks)):
            if blocks[j].rows is None and blocks[j].text.strip() in ("---", "..."):
                lines = [b.text for b in blocks[i : j + 1] if b.rows is None]
                block_front, _, _ = split_front_matter("\n".join(lines) + "\n", path)
                return block_front, blocks[j + 1 :]
        raise TranscriptError("metadata block opened with '---' is never closed", file=path)
    front: dict[str, Any] = {}
    while i < len(blocks):
        block = blocks[i]
        if block.rows is not None:
            table = metadata_table(block.rows)
            if table is None:
                break
            front.update(table)
        elif block.text.strip():
            pair = meta_line(block.text)
            if pair is None:
                break
            front[pair[0]] = pair[1]
        i += 1
    return front, blocks[i:]


def meta_line(line: str) -> tuple[str, str] | None:
    """(key, value) of a ``Key: value`` line for a well-known key, else None."""
    match = _META_LINE.match(line)
    key = normalise_key(match.group("key")) if match else None
    return (key, match.group("value")) if match and key in META_LINE_KEYS else None


def split_labels(value: Any) -> list[str]:
    """Labels from front matter: a list, or one string with labels separated by ';' or ','."""
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[;,]", value) if part.strip()]
    return labels_of(value)


# --- the body ----------------------------------------------------------------------------------


def label_candidate(block: Block) -> tuple[str, str, bool] | None:
    """(label, content, had colon) when the paragraph opens with a bold speaker label."""
    label, rest = block.bold.strip(), block.text[len(block.bold) :]
    if not label:
        return None
    colon = False
    if label.endswith(":"):
        label, colon = label[:-1].strip(), True
    elif rest.lstrip().startswith(":"):
        rest, colon = rest.lstrip()[1:], True
    elif rest.strip() and not rest[:1].isspace():
        return None  # bold start of a word, not a label
    as_label = LABEL_RE.match(f"{label}: x") if label else None
    if (
        not label
        or len(label.split()) > _MAX_LABEL_WORDS
        or as_label is None
        or as_label.group("label").strip() != label
    ):
        return None
    return label, rest.strip(), colon


def body_of(blocks: list[Block]) -> tuple[str, list[str]]:
    """Canonical body text and the bold speaker labels found (declared speakers)."""
    candidates = [label_candidate(b) if b.rows is None else None for b in blocks]
    counts = Counter(c[0] for c in candidates if c is not None)
    labels = {c[0] for c in candidates if c is not None and (c[2] or counts[c[0]] >= 2)}
    pieces: list[str] = []
    joiners: list[str] = []
    for block, candidate in zip(blocks, candidates, strict=True):
        if block.rows is not None:
            for row in (" | ".join(c for c in row if c) for row in block.rows):
                if row.strip():
                    pieces.append(row)
                    joiners.append("\n\n")
            continue
        if candidate is not None and candidate[0] in labels:
            label, content = candidate[0], candidate[1]
            pieces.append(f"{label}: {content}" if content else f"{label}:")
            # A label alone in its paragraph introduces the next paragraph.
            joiners.append("\n\n" if content else "\n")
            continue
        text = block.text.replace("\r", "\n")
        if text.strip():
            pieces.append(text)
            joiners.append("\n\n")
    body = ""
    for i, piece in enumerate(pieces):
        body += piece if i == 0 else joiners[i - 1] + piece
    return body + ("\n" if body else ""), sorted(labels)
