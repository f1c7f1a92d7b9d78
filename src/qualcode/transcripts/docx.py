"""Word (.docx) transcripts: paragraphs and tables become blocks, read as in `document.py`.

A paragraph's leading **bold** runs (bold in the run or its character style) are its bold text,
so ``**INT:** Did you...`` is a speaker label; a table's merged cells are read once. Body
paragraphs and tables are read in order; formatting, comments, headers, footers and footnotes
are not read.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qualcode.errors import TranscriptError
from qualcode.models import DEFAULT_INTERVIEWER_LABELS
from qualcode.transcripts.document import Block, read_blocks
from qualcode.transcripts.docx_package import bounded_package, inline_entities
from qualcode.transcripts.reader import Transcript


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
    return read_blocks(
        path,
        _read_blocks(path),
        default_language=default_language,
        interviewer_labels=interviewer_labels,
        root=root,
    )


def _read_blocks(path: Path) -> list[Block]:
    """The body's paragraphs and tables in order."""
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import XMLSyntaxError

    try:
        document = docx.Document(bounded_package(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, XMLSyntaxError):
        raise TranscriptError("not a readable Word .docx file", file=path) from None
    except OSError as exc:
        raise TranscriptError(f"cannot read file ({exc.strerror})", file=path) from None
    from docx.table import Table

    inline_entities(document.element)  # text after an entity reference is kept
    return [
        Block(rows=_table_rows(item)) if isinstance(item, Table) else _paragraph(item)
        for item in document.iter_inner_content()
    ]


def _table_rows(table: Any) -> tuple[tuple[str, ...], ...]:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:  # merged cells repeat the same cell object
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(cell.text.strip())
        rows.append(tuple(cells))
    return tuple(rows)


def _is_bold(run: Any) -> bool:
    if run.bold:
        return True
    style = getattr(run, "style", None)
    return bool(style is not None and style.font is not None and style.font.bold)


def _paragraph(paragraph: Any) -> Block:
    """The paragraph's text and the bold text it opens with."""
    from docx.text.run import Run

    bold = []
    for item in paragraph.iter_inner_content():
        if not isinstance(item, Run) or not _is_bold(item):
            break
        bold.append(item.text)
    lead = "".join(bold)
    text = paragraph.text
    if not lead.strip() or not text.startswith(lead):
        return Block(text=text)
    return Block(text=text, bold=lead)
