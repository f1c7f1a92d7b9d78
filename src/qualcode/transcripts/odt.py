"""OpenDocument (.odt: LibreOffice, Google Docs export) transcripts.

The package's ``content.xml`` and ``styles.xml`` are read with lxml (no other part, entity
references never resolved, no network, parts over `MAX_ODT_XML_BYTES` refused). The body's
paragraphs and headings (also those inside lists and sections) and its tables become blocks in
document order, read as in `document.py`. A paragraph's bold text is its leading spans whose
text style (automatic or named, following parent styles) has ``fo:font-weight`` bold. Inside a
paragraph ``text:s`` is spaces, ``text:tab`` a tab and ``text:line-break`` a line break; runs of
white space in the XML collapse to one space, as ODF says. Tracked changes, notes, headers and
footers are not read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qualcode.errors import TranscriptError
from qualcode.models import DEFAULT_INTERVIEWER_LABELS
from qualcode.transcripts.document import Block, read_blocks
from qualcode.transcripts.reader import Transcript

_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
_FO = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
_PARAGRAPHS = (f"{{{_TEXT}}}p", f"{{{_TEXT}}}h")
_SKIPPED = {"note", "tracked-changes", "bookmark", "soft-page-break", "sequence-decls"}
_CONTAINERS = {"list", "list-item", "list-header", "section", "index-body"}
_WS = re.compile(r"[ \t\r\n]+")
MAX_ODT_XML_BYTES = 256 * 1024 * 1024
ODT_MIMETYPE = "application/vnd.oasis.opendocument.text"


def read_odt_transcript(
    path: str | Path,
    *,
    default_language: str = "en",
    interviewer_labels: Sequence[str] = DEFAULT_INTERVIEWER_LABELS,
    encoding: str = "utf-8",
    root: Path | None = None,
) -> Transcript:
    """Read one OpenDocument .odt transcript. `encoding` is ignored (.odt is always Unicode).

    Raises TranscriptError naming the file for a file that is not a readable .odt, metadata
    that does not parse, or a document without text.
    """
    path = Path(path)
    content, styles = _load(path)
    text = content.find(f"{{{_OFFICE}}}body/{{{_OFFICE}}}text")
    if text is None:
        raise TranscriptError("not an OpenDocument text (.odt) file", file=path)
    bold_styles = _bold_styles([content, *([styles] if styles is not None else [])])
    blocks: list[Block] = []
    _collect(text, bold_styles, blocks)
    return read_blocks(
        path,
        blocks,
        default_language=default_language,
        interviewer_labels=interviewer_labels,
        root=root,
    )


def _load(path: Path) -> tuple[Any, Any]:
    """The parsed content.xml and styles.xml (None when absent). Raises TranscriptError."""
    import zipfile

    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.read("mimetype").strip() != ODT_MIMETYPE.encode():
                raise TranscriptError("not an OpenDocument text (.odt) file", file=path)
            parts: list[Any] = []
            for name in ("content.xml", "styles.xml"):
                if name not in names:
                    parts.append(None)
                    continue
                if archive.getinfo(name).file_size > MAX_ODT_XML_BYTES:
                    raise TranscriptError(
                        f"{name} inside this .odt is larger than "
                        f"{MAX_ODT_XML_BYTES // 2**20} MiB, more than qualcode reads",
                        file=path,
                    )
                parts.append(etree.fromstring(archive.read(name), parser))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, etree.XMLSyntaxError):
        raise TranscriptError("not a readable OpenDocument .odt file", file=path) from None
    except OSError as exc:
        raise TranscriptError(f"cannot read file ({exc.strerror})", file=path) from None
    if parts[0] is None:
        raise TranscriptError("not a readable OpenDocument .odt file (no content.xml)", file=path)
    return parts[0], parts[1]


def _bold_styles(roots: list[Any]) -> set[str]:
    """Names of the text styles that make text bold (directly or through a parent style)."""
    weight: dict[str, str | None] = {}
    parent: dict[str, str | None] = {}
    for root in roots:
        for style in root.iter(f"{{{_STYLE}}}style"):
            name = style.get(f"{{{_STYLE}}}name")
            if name is None:
                continue
            parent[name] = style.get(f"{{{_STYLE}}}parent-style-name")
            props = style.find(f"{{{_STYLE}}}text-properties")
            weight[name] = props.get(f"{{{_FO}}}font-weight") if props is not None else None

    def bold(name: str | None, depth: int = 0) -> bool:
        if name is None or name not in weight or depth > 20:
            return False
        value = weight[name]
        if value is not None:
            return value == "bold" or (value.isdigit() and int(value) >= 600)
        return bold(parent.get(name), depth + 1)

    return {name for name in weight if bold(name)}


def _local(element: Any) -> tuple[str, str]:
    """(namespace, local name) of an element; ("", "") for a comment or an entity."""
    tag = element.tag
    if not isinstance(tag, str) or not tag.startswith("{"):
        return "", ""
    namespace, _, name = tag[1:].partition("}")
    return namespace, name


def _collect(node: Any, bold_styles: set[str], blocks: list[Block]) -> None:
    """Append the node's paragraphs and tables, in document order, to `blocks`."""
    for child in node:
        namespace, name = _local(child)
        if child.tag in _PARAGRAPHS:
            blocks.append(_paragraph(child, bold_styles))
        elif (namespace, name) == (_TABLE, "table"):
            blocks.append(Block(rows=_table_rows(child)))
        elif namespace == _TEXT and name in _CONTAINERS:
            _collect(child, bold_styles, blocks)


def _table_rows(table: Any) -> tuple[tuple[str, ...], ...]:
    rows = []
    for row in _rows(table):
        cells = [
            "\n".join(_paragraph(p, set()).text.strip() for p in _paragraphs(cell)).strip()
            for cell in row
            if cell.tag == f"{{{_TABLE}}}table-cell"
        ]
        rows.append(tuple(cells))
    return tuple(rows)


def _rows(node: Any) -> list[Any]:
    """The table's rows, also those in header-row and row groups (not nested tables')."""
    found: list[Any] = []
    for child in node:
        if child.tag == f"{{{_TABLE}}}table-row":
            found.append(child)
        elif child.tag in (f"{{{_TABLE}}}table-header-rows", f"{{{_TABLE}}}table-rows"):
            found.extend(_rows(child))
    return found


def _paragraphs(node: Any) -> list[Any]:
    found: list[Any] = []
    for child in node:
        if child.tag in _PARAGRAPHS:
            found.append(child)
        elif isinstance(child.tag, str):
            found.extend(_paragraphs(child))
    return found


def _paragraph(paragraph: Any, bold_styles: set[str]) -> Block:
    """The paragraph's text and the bold text it opens with."""
    pieces: list[tuple[str, bool]] = []
    _inline(paragraph, False, bold_styles, pieces)
    text = "".join(piece for piece, _ in pieces)
    lead = ""
    for piece, is_bold in pieces:
        if not is_bold:
            break
        lead += piece
    return Block(text=text, bold=lead if lead.strip() else "")


def _inline(node: Any, bold: bool, bold_styles: set[str], out: list[tuple[str, bool]]) -> None:
    """Append (text, is bold) pieces of an element's content to `out`."""
    if node.text and isinstance(node.tag, str):
        out.append((_WS.sub(" ", node.text), bold))
    for child in node:
        namespace, name = _local(child)
        if namespace == _TEXT and name == "s":
            count = child.get(f"{{{_TEXT}}}c") or "1"
            out.append((" " * min(int(count) if count.isdigit() else 1, 1000), bold))
        elif namespace == _TEXT and name == "tab":
            out.append(("\t", bold))
        elif namespace == _TEXT and name == "line-break":
            out.append(("\n", bold))
        elif namespace and name not in _SKIPPED:
            style = child.get(f"{{{_TEXT}}}style-name")
            _inline(child, bold or style in bold_styles, bold_styles, out)
        if child.tail:
            out.append((_WS.sub(" ", child.tail), bold))
