"""Transcripts whose format keeps only a text layer: RTF (striprtf) and PDF (pypdf).

Both become lines of plain text, then paragraphs read as in `document.py` (metadata at the top,
``Name:`` speaker labels, paragraphs separated by a blank line in the canonical text). Bold is
not read, so labels are plain ``Name:`` prefixes.

* **.rtf**: each RTF paragraph (``\\par``, also ``\\line``) is a paragraph; the code page the
  file declares decodes its ``\\'hh`` escapes; pictures, fields' instructions, headers and
  footers are dropped.
* **.pdf** with a text layer (typed, exported or OCRed; a scan without one is refused): the
  lines of each page in reading order, unwrapped -- a line continues the paragraph above unless
  it is blank or opens with a speaker label (an interviewer or respondent label, or one that
  opens at least two lines); a line ending in ``-`` joins the next without a space. Lines that
  hold only a page number (``12``, ``- 12 -``, ``Page 3 of 10``) are dropped, and a page break is
  no paragraph break. The metadata lines or ``---`` block at the top keep one line per
  paragraph.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from qualcode.errors import TranscriptError
from qualcode.models import DEFAULT_INTERVIEWER_LABELS, DEFAULT_RESPONDENT_LABELS
from qualcode.transcripts.document import Block, meta_line, read_blocks
from qualcode.transcripts.reader import LABEL_RE, MAX_TRANSCRIPT_BYTES, Transcript

_PAGE_NUMBER = re.compile(
    r"(?:-\s*\d{1,4}\s*-|(?:page\s+)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?)", re.IGNORECASE
)
NO_TEXT_LAYER = (
    "PDF has no text layer (a scan?): run OCR on it first (e.g. ocrmypdf) or save it as .docx/.txt"
)


def read_rtf_transcript(
    path: str | Path,
    *,
    default_language: str = "en",
    interviewer_labels: Sequence[str] = DEFAULT_INTERVIEWER_LABELS,
    encoding: str = "utf-8",
    root: Path | None = None,
) -> Transcript:
    """Read one .rtf transcript (`encoding` is ignored: RTF declares its code page).

    Raises TranscriptError naming the file for a file that is not RTF, text its code page cannot
    decode, metadata that does not parse, or a document without text.
    """
    from striprtf.striprtf import rtf_to_text

    path = Path(path)
    data = _read_bytes(path)
    if not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{\\rtf"):
        raise TranscriptError("not an RTF file (it does not start with '{\\rtf')", file=path)
    try:
        text = rtf_to_text(data.decode("latin-1"), encoding="cp1252")
    except (UnicodeDecodeError, LookupError):
        raise TranscriptError("RTF text cannot be decoded with its code page", file=path) from None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return read_blocks(
        path,
        [Block(text=line.strip()) for line in lines],
        default_language=default_language,
        interviewer_labels=interviewer_labels,
        root=root,
    )


def read_pdf_transcript(
    path: str | Path,
    *,
    default_language: str = "en",
    interviewer_labels: Sequence[str] = DEFAULT_INTERVIEWER_LABELS,
    encoding: str = "utf-8",
    root: Path | None = None,
) -> Transcript:
    """Read one .pdf transcript from its text layer (`encoding` is ignored).

    Raises TranscriptError naming the file for a file that is not a readable PDF, an encrypted
    one, one without a text layer (a scan), metadata that does not parse, or no text.
    """
    path = Path(path)
    lines = _pdf_lines(path)
    if not any(line.strip() for line in lines):
        raise TranscriptError(NO_TEXT_LAYER, file=path)
    labels = {s.casefold() for s in (*interviewer_labels, *DEFAULT_RESPONDENT_LABELS)}
    return read_blocks(
        path,
        unwrap(lines, labels),
        default_language=default_language,
        interviewer_labels=interviewer_labels,
        root=root,
    )


def _read_bytes(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_TRANSCRIPT_BYTES:
            raise TranscriptError(
                f"file is larger than {MAX_TRANSCRIPT_BYTES // (1024 * 1024)} MiB; split it",
                file=path,
            )
        return path.read_bytes()
    except OSError as exc:
        raise TranscriptError(f"cannot read file ({exc.strerror})", file=path) from None


def _pdf_lines(path: Path) -> list[str]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    data = _read_bytes(path)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise TranscriptError("PDF is password-protected; save an unprotected copy", file=path)
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        raise TranscriptError("not a readable PDF file", file=path) from None
    # A page break is no paragraph break: a sentence may run on to the next page.
    return [line for page in pages for line in page.strip("\n").split("\n")]


def unwrap(lines: Sequence[str], labels: set[str]) -> list[Block]:
    """Paragraphs of wrapped lines: metadata lines (or a ``---`` block) at the top one per
    paragraph, then a paragraph runs on until a blank line or a speaker label (one of `labels`,
    casefolded, or a label opening at least two lines)."""
    stripped = [line.strip() for line in lines if not _PAGE_NUMBER.fullmatch(line.strip())]
    head, rest = _head(stripped)
    counts = Counter(m.group("label").strip() for m in map(LABEL_RE.match, rest) if m)
    paragraphs: list[str] = []
    current = ""
    for line in rest:
        match = LABEL_RE.match(line)
        label = match.group("label").strip() if match else None
        opens = label is not None and (counts[label] >= 2 or label.casefold() in labels)
        if not line or opens:
            if current:
                paragraphs.append(current)
            current = line
        elif not current:
            current = line
        elif current.endswith("-") and current[-2:-1].isalpha() and line[:1].isalpha():
            current += line
        else:
            current += " " + line
    if current:
        paragraphs.append(current)
    return [Block(text=line) for line in head] + [Block(text=p) for p in paragraphs]


def _head(lines: list[str]) -> tuple[list[str], list[str]]:
    """The metadata lines at the top (a ``---`` block or well-known ``Key: value`` lines) and
    the rest."""
    i = 0
    while i < len(lines) and not lines[i]:
        i += 1
    if i < len(lines) and lines[i] == "---":
        end = next((j for j in range(i + 1, len(lines)) if lines[j] in ("---", "...")), None)
        if end is None:  # unclosed: the reader reports it
            return lines[i:], []
        return lines[i : end + 1], lines[end + 1 :]
    while i < len(lines) and (not lines[i] or meta_line(lines[i]) is not None):
        i += 1
    return [line for line in lines[:i] if line], lines[i:]
