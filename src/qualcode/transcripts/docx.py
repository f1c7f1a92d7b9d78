"""Word (.docx) transcripts: paragraphs become canonical text, speaker labels become turns.

The canonical text is built from the document's paragraphs in order, one paragraph per text
paragraph (separated by a blank line), so it reads like a `.txt` transcript and is parsed into
turns by the same rules:

* a speaker label is either **bold** at the start of a paragraph (``**INT:** Did you...``,
  ``**Anna**: Yes...``, a bold label alone in its paragraph followed by the answer, or a bold
  label without colon used at least twice) or a plain ``Name:`` prefix (same heuristics as
  `.txt`: a label that starts two turns, answers the interviewer or is declared). When the
  document has bold labels, only those (and interviewer labels) start turns, so a
  ``Nota: ...`` inside an answer stays text;
* metadata may open the document, before the interview: a two-column table
  (``Country | Italy``), ``Key: value`` lines for the well-known keys (``id``, ``country``,
  ``role``, ``language``, ``date``, ``organisation``...), or a YAML block between two ``---``
  paragraphs, exactly like a `.txt` front matter. It is not part of the canonical text;
* a later table is kept as text, one paragraph per row with cells joined by `` | ``.

Formatting, comments, headers, footers and footnotes are not read.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qualcode.errors import TranscriptError
from qualcode.models import DEFAULT_INTERVIEWER_LABELS
from qualcode.transcripts.reader import (
    CONTROL_KEYS,
    ID_OK,
    LABEL_RE,
    Transcript,
    as_text,
    labels_of,
    parse_turns,
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


def read_docx_transcript(
    path: str | Path,
    *,
    default_language: str = "en",
    interviewer_labels: Sequence[str] = DEFAULT_INTERVIEWER_LABELS,
    encoding: str = "utf-8",
    root: Path | None = None,
) -> Transcript:
    """Read one Word .docx transcript. `encoding` is ignored (a .docx is always Unicode).

    Raises TranscriptError naming the file for a file that is not a readable .docx, metadata
    that does not parse, or a document without text.
    """
    path = Path(path)
    blocks = _read_blocks(path)
    front, rest = _leading_metadata(blocks, path)
    body, bold_labels = _body(rest)
    if not body.strip():
        raise TranscriptError("document has no text (besides metadata)", file=path)
    return _build_transcript(
        path, front, body, bold_labels, default_language, interviewer_labels, root
    )


# --- reading the document ----------------------------------------------------------------------


def _read_blocks(path: Path) -> list[tuple[str, Any]]:
    """The body's paragraphs and tables in order: ("p", Paragraph) or ("t", Table)."""
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import XMLSyntaxError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, XMLSyntaxError):
        raise TranscriptError("not a readable Word .docx file", file=path) from None
    except OSError as exc:
        raise TranscriptError(f"cannot read file ({exc.strerror})", file=path) from None
    from docx.table import Table

    return [("t" if isinstance(b, Table) else "p", b) for b in document.iter_inner_content()]


def _normalise_key(key: str) -> str:
    return re.sub(r"[\s\-]+", "_", key.strip().casefold())


def _table_rows(table: Any) -> list[list[str]]:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:  # merged cells repeat the same cell object
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(cell.text.strip())
        rows.append(cells)
    return rows


def _metadata_table(table: Any) -> dict[str, str] | None:
    """A two-column key/value table as metadata, or None when the table is something else."""
    rows = [r for r in _table_rows(table) if any(r)]
    if not rows or any(len(r) != 2 for r in rows):
        return None
    if [c.casefold() for c in rows[0]] in (["key", "value"], ["field", "value"]):
        rows = rows[1:]
    found = {}
    for key, value in rows:
        if not key or len(key) > 40 or "\n" in key:
            return None
        found[_normalise_key(key)] = value
    return found


def _leading_metadata(
    blocks: list[tuple[str, Any]], path: Path
) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """Metadata at the top (YAML block, key/value tables, ``Key: value`` lines) and the rest."""
    i = 0
    while i < len(blocks) and blocks[i][0] == "p" and not blocks[i][1].text.strip():
        i += 1
    if i < len(blocks) and blocks[i][0] == "p" and blocks[i][1].text.strip() == "---":
        for j in range(i + 1, len(blocks)):
            if blocks[j][0] == "p" and blocks[j][1].text.strip() in ("---", "..."):
                lines = [b.text for kind, b in blocks[i : j + 1] if kind == "p"]
                block_front, _, _ = split_front_matter("\n".join(lines) + "\n", path)
                return block_front, blocks[j + 1 :]
        raise TranscriptError("metadata block opened with '---' is never closed", file=path)
    front: dict[str, Any] = {}
    while i < len(blocks):
        kind, block = blocks[i]
        if kind == "t":
            table = _metadata_table(block)
            if table is None:
                break
            front.update(table)
        elif block.text.strip():
            match = _META_LINE.match(block.text)
            key = _normalise_key(match.group("key")) if match else None
            if match is None or key not in META_LINE_KEYS:
                break
            front[key] = match.group("value")
        i += 1
    return front, blocks[i:]


# --- the body ----------------------------------------------------------------------------------


def _is_bold(run: Any) -> bool:
    if run.bold:
        return True
    style = getattr(run, "style", None)
    return bool(style is not None and style.font is not None and style.font.bold)


def _leading_bold(paragraph: Any) -> tuple[str, str]:
    """(leading bold text, the rest of the paragraph's text)."""
    from docx.text.run import Run

    bold = []
    for item in paragraph.iter_inner_content():
        if not isinstance(item, Run) or not _is_bold(item):
            break
        bold.append(item.text)
    lead = "".join(bold)
    text = paragraph.text
    if not lead.strip() or not text.startswith(lead):
        return "", text
    return lead, text[len(lead) :]


def _label_candidate(paragraph: Any) -> tuple[str, str, bool] | None:
    """(label, content, had colon) when the paragraph opens with a bold speaker label."""
    lead, rest = _leading_bold(paragraph)
    label = lead.strip()
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


def _body(blocks: list[tuple[str, Any]]) -> tuple[str, list[str]]:
    """Canonical body text and the bold speaker labels found (declared speakers)."""
    candidates = [_label_candidate(block) if kind == "p" else None for kind, block in blocks]
    counts = Counter(c[0] for c in candidates if c is not None)
    labels = {c[0] for c in candidates if c is not None and (c[2] or counts[c[0]] >= 2)}
    pieces: list[str] = []
    joiners: list[str] = []
    for (kind, block), candidate in zip(blocks, candidates, strict=True):
        if kind == "t":
            rows = [" | ".join(c for c in row if c) for row in _table_rows(block)]
            for row in rows:
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


def _build_transcript(
    path: Path,
    front: dict[str, Any],
    body: str,
    bold_labels: list[str],
    default_language: str,
    interviewer_labels: Sequence[str],
    root: Path | None,
) -> Transcript:
    tid = as_text(front.get("id")) or path.stem
    if not ID_OK.match(tid):
        raise TranscriptError(
            f"transcript id '{tid}' may only contain letters, digits, '_', '-' and '.'", file=path
        )
    language = (as_text(front.get("language")) or default_language).lower()
    labels = {s.casefold() for s in interviewer_labels} | {
        s.casefold() for s in _split_labels(front.get("interviewer"))
    }
    declared = [*_split_labels(front.get("speakers")), *bold_labels]
    metadata = {
        str(k): as_text(v) for k, v in front.items() if str(k) not in CONTROL_KEYS and v is not None
    }
    rel = path.relative_to(root).as_posix() if root is not None else path.name
    return Transcript(
        id=tid,
        path=path,
        text=body,
        language=language,
        metadata={k: v for k, v in metadata.items() if v},
        interviewer_labels=frozenset(labels),
        turns=parse_turns(body, declared, labels),
        source_file=rel,
        language_explicit=front.get("language") is not None,
    )


def _split_labels(value: Any) -> list[str]:
    """Labels from front matter: a list, or one string with labels separated by ';' or ','."""
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[;,]", value) if part.strip()]
    return labels_of(value)
