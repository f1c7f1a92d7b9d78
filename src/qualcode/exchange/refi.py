"""REFI-QDA: what qualcode's export and import share, and the codebook export (`.qdc`).

REFI-QDA (www.qdasoftware.org) is the exchange standard of NVivo, ATLAS.ti, MAXQDA, QualCoder
and others. A `.qdpx` project is a zip holding ``project.qde`` (XML, namespace
``urn:QDA-XML:project:1.0``) and ``sources/<guid>.txt``; a `.qdc` codebook is one XML file
(namespace ``urn:QDA-XML:codebook:1.0``). Here: the namespaces and deterministic GUIDs, how a
code's description carries its definition, rules and examples (`code_description`), the line
that carries an automatic coding's match details (`match_details_line`, read back by
`split_description`), UTF-16 positions, the XML writing helpers, and `export_qdc`. The
project export is `refi_project`, reading `refi_read`, the import `refi_import`.

Positions: ``startPosition``/``endPosition`` are character positions in the source's plain
text, counted from 0, end exclusive. The schema types them as plain integers and does not name
a unit; qualcode counts Unicode code points (Python string indices) by default -- the same as
QualCoder -- and can count UTF-16 code units instead (``offsets="utf16"``), which is how tools
built on .NET or Java index strings. The two differ only after a character outside the Basic
Multilingual Plane (an emoji).

Every GUID is a uuid5 of a stable name (``code:litigation``, ``source:it_lawyer_04``...), so
exporting the same folder or codebook twice gives the same bytes.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.errors import ExportError
from qualcode.output.atomic import atomic_write_file

if TYPE_CHECKING:
    from qualcode.codebook.schema import Codebook

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:qualcode:refi-qda")
OFFSET_UNITS = ("codepoint", "utf16")
INTERVIEWER_VARIABLE = "interviewer"
_SECTIONS = (("include", "Include"), ("exclude", "Exclude"))
EXAMPLES_HEADING = "Examples"
# The machine-readable line of a selection's description that carries the match details.
DETAILS_PREFIX = "qualcode: "
DETAIL_COLUMNS = (m.MATCHED_TEXT, m.PATTERN_ID, m.MATCH_SPANS)
_SPANS = re.compile(r"\d{1,15}-\d{1,15}(;\d{1,15}-\d{1,15})*")


@dataclass
class RefiExport:
    """What an export wrote: the file and counts to report."""

    path: Path
    sources: int = 0
    codes: int = 0
    selections: int = 0
    users: list[str] = field(default_factory=list)
    cases: int = 0
    warnings: list[str] = field(default_factory=list)


def guid(kind: str, *parts: object) -> str:
    """Deterministic GUID of one object: uuid5 of ``kind:part:part...``."""
    return str(uuid.uuid5(GUID_NAMESPACE, ":".join([kind, *map(str, parts)])))


def code_description(code: Any) -> str:
    """A code's REFI description: its definition, then Include / Exclude rules and Examples.

    `refi_import.parse_description` reads these sections back.
    """
    parts = [code.definition.strip()] if code.definition else []
    for attr, heading in _SECTIONS:
        value = getattr(code, attr, "")
        if value:
            parts.append(f"{heading}: {value.strip()}")
    if code.examples:
        parts.append(
            f"{EXAMPLES_HEADING}:\n" + "\n".join(f"- {' '.join(e.split())}" for e in code.examples)
        )
    return "\n\n".join(parts)


def match_details_line(row: dict[str, Any]) -> str | None:
    """The line ``qualcode: {JSON}`` with the match details of a coding row, or None.

    The JSON object holds the non-missing values of ``matched_text``, ``pattern_id`` and
    ``match_spans`` (strings, exactly as in the codings table; ``match_spans`` counts code
    points of the canonical text whatever the export's `offsets`), keys sorted, on one line
    (JSON escapes line breaks and control characters). `refi_read.split_description` reads it.
    """
    import json

    import pandas as pd

    values = {}
    for column in DETAIL_COLUMNS:
        value = row.get(column)
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            continue
        values[column] = str(value)
    if not values:
        return None
    return DETAILS_PREFIX + json.dumps(
        values, sort_keys=True, ensure_ascii=False, separators=(", ", ": ")
    )


def _utf8(text: str) -> bool:
    """Whether a string can be stored (JSON can decode lone surrogates, UTF-8 cannot hold them)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def split_description(text: str) -> tuple[str | None, dict[str, str] | None, bool]:
    """(note, match details, malformed) of a selection's description.

    The match details are the last line when it starts with ``qualcode: {``: a JSON object
    whose known keys (``matched_text``, ``pattern_id``, ``match_spans``) hold strings, the
    spans as ``start-end;start-end``; unknown keys are ignored. Such a line is never part of
    the note; when it is not valid, the details are None and `malformed` is True. Any other
    description is all note.
    """
    import json

    lines = text.strip().splitlines()
    if not lines or not lines[-1].strip().startswith(DETAILS_PREFIX + "{"):
        return text.strip() or None, None, False
    note = "\n".join(lines[:-1]).strip() or None
    try:
        data = json.loads(lines[-1].strip()[len(DETAILS_PREFIX) :])
    except ValueError:
        return note, None, True
    if not isinstance(data, dict):
        return note, None, True
    details = {k: data[k] for k in DETAIL_COLUMNS if k in data and data[k] is not None}
    if not all(isinstance(v, str) and _utf8(v) for v in details.values()):
        return note, None, True
    spans = details.get(m.MATCH_SPANS)
    if spans is not None and not _SPANS.fullmatch(spans):
        return note, None, True
    if spans is not None and any(
        int(a) >= int(b) for a, b in (span.split("-") for span in spans.split(";"))
    ):
        return note, None, True
    return note, details, False


def utf16_positions(text: str) -> list[int] | None:
    """UTF-16 position of every code point index 0..len(text), or None when they are equal."""
    if text.isascii() or all(ord(c) < 0x10000 for c in text):
        return None
    positions = [0]
    for char in text:
        positions.append(positions[-1] + (2 if ord(char) >= 0x10000 else 1))
    return positions


def add_element(
    parent: Any, tag: str, attrs: dict[str, str | None] | None = None, text: str | None = None
) -> Any:
    """A new child element of `parent` (attributes whose value is None are left out)."""
    from lxml import etree

    child = etree.SubElement(parent, tag, {k: v for k, v in (attrs or {}).items() if v is not None})
    if text is not None:
        child.text = text
    return child


def xml_bytes(root: Any) -> bytes:
    """An XML document as UTF-8 bytes, with its declaration, indented."""
    from lxml import etree

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def xml_text(value: str, what: str) -> str:
    """XML 1.0 cannot hold most control characters; refuse them with a clear message."""
    bad = next((c for c in value if ord(c) < 32 and c not in "\t\n\r"), None)
    if bad is not None:
        raise ExportError(f"{what} contains the control character U+{ord(bad):04X}; remove it")
    return value


def _color(value: str | None) -> str | None:
    if value and re.fullmatch(r"#([A-Fa-f0-9]{6}|[A-Fa-f0-9]{3})", value.strip()):
        return value.strip()
    return None


def add_codes(parent: Any, codes: Sequence[Any], tag_ns: str) -> int:
    """Write ``Codes`` with nested ``Code`` elements (codebook order, children under parents)."""
    codes_el = add_element(parent, f"{{{tag_ns}}}Codes")
    by_parent: dict[str | None, list[Any]] = {}
    names = {c.name for c in codes}
    for code in codes:
        parent_name = code.parent if code.parent in names else None
        by_parent.setdefault(parent_name, []).append(code)

    def add(into: Any, code: Any) -> None:
        element = add_element(
            into,
            f"{{{tag_ns}}}Code",
            {
                "guid": guid("code", code.name),
                "name": xml_text(code.name, f"code name '{code.name}'"),
                "isCodable": "true",
                "color": _color(code.color),
            },
        )
        description = code_description(code)
        if description:
            add_element(
                element,
                f"{{{tag_ns}}}Description",
                text=xml_text(description, f"description of code '{code.name}'"),
            )
        for child in by_parent.get(code.name, []):
            add(element, child)

    for code in by_parent.get(None, []):
        add(codes_el, code)
    return len(codes)


# --- codebook (.qdc) ---------------------------------------------------------------------------


def codebook_xml(book: Codebook) -> bytes:
    """The REFI-QDA codebook document (``.qdc``) of a codebook, as UTF-8 bytes."""
    from lxml import etree

    import qualcode

    root = etree.Element(
        f"{{{CODEBOOK_NS}}}CodeBook",
        {"origin": f"qualcode {qualcode.__version__}"},
        nsmap={None: CODEBOOK_NS},
    )
    add_codes(root, book.codes, CODEBOOK_NS)
    return xml_bytes(root)


def export_qdc(codebook: str | Path | Codebook, path: str | Path) -> RefiExport:
    """Write a codebook as a REFI-QDA ``.qdc`` file (atomically).

    Raises CodebookError when the codebook does not validate, ExportError when it cannot be
    written.
    """
    from qualcode.codebook import Codebook, load_codebook

    book = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
    path = Path(path)
    data = codebook_xml(book)
    write_atomic(path, lambda tmp: tmp.write_bytes(data))
    return RefiExport(path=path, codes=len(book.codes))


def write_atomic(path: Path, writer: Callable[[Path], object]) -> None:
    """`atomic_write_file`, with an OSError reported as an ExportError naming the file."""
    try:
        atomic_write_file(path, writer)
    except OSError as exc:
        raise ExportError(f"cannot write file ({exc.strerror})", file=path) from None
