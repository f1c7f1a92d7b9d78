"""Reading the files of a REFI-QDA exchange: the `.qdpx` zip, its members, safe XML.

Tools differ in how they pack a project and this copes with them: the inner project file may
have any name ending in ``.qde`` (``project.qde`` preferred), the text files may sit in
``sources/`` or ``Sources/`` (or below a top folder) and be UTF-8 or UTF-16. XML is parsed
without resolving entities or network access; an entity reference stays in the text as it is
written (``&org;``), so nothing after it is lost. Problems raise ExportError naming the file.

A project is read within a budget (`ProjectArchive`): each zip entry is decompressed once, and
the text read (an entry counted each time a source uses it) may not exceed `MAX_ARCHIVE_BYTES`
nor, past `EXPANSION_FLOOR`, `MAX_EXPANSION` times the size of the `.qdpx` (a zip bomb).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from qualcode.errors import ExportError

MAX_MEMBER_BYTES = 512 * 1024 * 1024
MAX_ARCHIVE_BYTES = 512 * 1024 * 1024
MAX_EXPANSION = 200
EXPANSION_FLOOR = 64 * 1024 * 1024


def local_name(element: Any) -> str:
    """The tag of `element` without its namespace ("" for comments and the like)."""
    from lxml import etree

    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def children(element: Any, name: str) -> list[Any]:
    """The child elements named `name` (any namespace)."""
    return [c for c in element if local_name(c) == name]


def child(element: Any, name: str) -> Any | None:
    """The first child element named `name`, or None."""
    found = children(element, name)
    return found[0] if found else None


def element_text(element: Any | None) -> str:
    """The text of an element ("" for none, or no element).

    An entity reference inside it (which the parser never resolves) is kept as written, e.g.
    ``&org;``, and the text after it, after a comment or a processing instruction is kept.
    """
    from lxml import etree

    if element is None:
        return ""
    pieces = [element.text or ""]
    for node in element:
        if isinstance(node, etree._Entity):
            pieces.append(node.text or "")
        pieces.append(node.tail or "")
    return "".join(pieces)


def parse_xml(data: bytes, file: str | Path, member: str | None = None) -> Any:
    """Parse XML safely (no entities, no network); ExportError with the line if it fails."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    where = f"{member} inside this file" if member else "the file"
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = f" (line {exc.lineno})" if getattr(exc, "lineno", None) else ""
        reason = " ".join(str(exc.msg or exc).split())
        raise ExportError(f"{where} is not well-formed XML{line}: {reason}", file=file) from None
    if root is None:
        raise ExportError(f"{where} is empty", file=file)
    return root


def open_zip(path: Path) -> zipfile.ZipFile:
    """Open a `.qdpx` as a zip; ExportError when it is missing, unreadable or not a zip."""
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise ExportError("no such file", file=path) from None
    except zipfile.BadZipFile:
        raise ExportError(
            "not a REFI-QDA project: a .qdpx file is a zip archive and this is not one", file=path
        ) from None
    except OSError as exc:
        raise ExportError(f"cannot read file ({exc.strerror})", file=path) from None


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> bytes:
    """The bytes of one zip entry; ExportError when too large or unreadable."""
    if info.file_size > MAX_MEMBER_BYTES:
        raise ExportError(f"{info.filename} inside this file is too large to import", file=path)
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:
        raise ExportError(
            f"cannot read {info.filename} inside this file ({exc})", file=path
        ) from None


def project_member(archive: zipfile.ZipFile, path: Path) -> zipfile.ZipInfo:
    """The zip entry of the project file (``.qde``); ExportError when none or several."""
    candidates = [
        i
        for i in archive.infolist()
        if i.filename.lower().endswith(".qde") and not i.filename.startswith("__MACOSX/")
    ]
    if not candidates:
        raise ExportError("not a REFI-QDA project: the zip holds no .qde project file", file=path)
    preferred = [i for i in candidates if PurePosixPath(i.filename).name.lower() == "project.qde"]
    pool = preferred or candidates
    if len(pool) > 1:
        names = ", ".join(sorted(i.filename for i in pool))
        raise ExportError(f"the zip holds several project files ({names}); keep one", file=path)
    return pool[0]


def source_member(
    archive: zipfile.ZipFile,
    reference: str,
    base: str,
    by_lower: dict[str, zipfile.ZipInfo] | None = None,
) -> zipfile.ZipInfo | None:
    """Find the zip entry of a ``plainTextPath`` (internal://, relative://...), by tolerance.

    `by_lower` is the archive's files by lower-cased name (built here when not given).
    """
    ref = re.sub(r"^[a-z]+://", "", reference.strip(), flags=re.IGNORECASE).replace("\\", "/")
    ref = ref.lstrip("/")
    if by_lower is None:
        by_lower = files_by_lower_name(archive)
    for candidate in (f"{base}sources/{ref}", f"sources/{ref}", f"{base}{ref}", ref):
        if candidate.lower() in by_lower:
            return by_lower[candidate.lower()]
    name = PurePosixPath(ref).name.lower()
    matches = [i for key, i in by_lower.items() if PurePosixPath(key).name == name]
    return matches[0] if len(matches) == 1 else None


def decode_source(data: bytes) -> str | None:
    """Text of a source file: UTF-8 (BOM optional) or UTF-16 with a BOM; None otherwise.

    A leading BOM is an encoding mark, not a character: positions do not count it.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def files_by_lower_name(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The archive's files (not folders) by lower-cased name."""
    return {i.filename.lower(): i for i in archive.infolist() if not i.is_dir()}


class ProjectArchive:
    """A `.qdpx` zip read within a budget: each entry decompressed and decoded once, the bytes
    read (an entry counted each time it is used) bounded by `MAX_ARCHIVE_BYTES` and, past
    `EXPANSION_FLOOR`, by `MAX_EXPANSION` times the file's size. Declared sizes are checked
    before anything is decompressed (zipfile rejects an entry longer than it declares)."""

    def __init__(self, archive: zipfile.ZipFile, path: Path) -> None:
        self.archive, self.path = archive, path
        try:
            self.size = path.stat().st_size
        except OSError:
            self.size = 0
        self.used = 0
        self.by_lower = files_by_lower_name(archive)
        self._texts: dict[str, str | None] = {}

    def charge(self, info: zipfile.ZipInfo) -> None:
        """Count one use of `info`; ExportError when the project exceeds its budget."""
        self.used += info.file_size
        mib = self.used / 2**20
        if self.used > MAX_ARCHIVE_BYTES:
            raise ExportError(
                f"the project's files add up to more than {MAX_ARCHIVE_BYTES // 2**20} MiB "
                f"({info.filename} brings it to {mib:.0f} MiB); qualcode does not import "
                "projects that large",
                file=self.path,
            )
        if self.used > EXPANSION_FLOOR and self.used > MAX_EXPANSION * self.size:
            raise ExportError(
                f"the project expands to {mib:.0f} MiB of text from a "
                f"{self.size / 1024:.0f} KiB file (more than {MAX_EXPANSION} times its size, "
                "as a zip bomb does); not imported",
                file=self.path,
            )

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """The bytes of one entry, counted against the budget."""
        self.charge(info)
        return read_member(self.archive, info, self.path)

    def source_text(self, info: zipfile.ZipInfo) -> str | None:
        """A source file's text (see `decode_source`), decoded once however many use it."""
        self.charge(info)
        if info.filename not in self._texts:
            data = read_member(self.archive, info, self.path)
            self._texts[info.filename] = decode_source(data)
        return self._texts[info.filename]
