"""Opening a Word .docx safely: bounded part sizes, and entity references kept as text.

python-docx reads every part of a package into memory, so a document with a linked 400 MB
picture would cost that much to read text that is a few kilobytes. `bounded_package` refuses
an XML part over `MAX_DOCX_XML_BYTES` and leaves out each picture or other binary part over
`MAX_DOCX_MEDIA_BYTES` before the document is opened (its text is all qualcode reads).

The XML parser never resolves entity references (Word writes none); `inline_entities` keeps
one as written, ``&name;``, with the text after it, which would otherwise be lost.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from qualcode.errors import TranscriptError

MAX_DOCX_XML_BYTES = 256 * 1024 * 1024
MAX_DOCX_MEDIA_BYTES = 8 * 1024 * 1024
_XML = (".xml", ".rels")


def bounded_package(path: Path) -> Any:
    """The .docx to open: its path, or an in-memory copy without its oversized binary parts.

    Raises TranscriptError for an XML part larger than MAX_DOCX_XML_BYTES. A file that is not
    a zip is passed on as it is (python-docx says what is wrong with it).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            for info in infos:
                if info.filename.endswith(_XML) and info.file_size > MAX_DOCX_XML_BYTES:
                    raise TranscriptError(
                        f"{info.filename} inside this .docx is {info.file_size // 2**20} MiB, "
                        f"more than the {MAX_DOCX_XML_BYTES // 2**20} MiB qualcode reads",
                        file=path,
                    )
            big = {
                i.filename
                for i in infos
                if i.file_size > MAX_DOCX_MEDIA_BYTES and not i.filename.endswith(_XML)
            }
            if not big:
                return str(path)
            copy = io.BytesIO()
            with zipfile.ZipFile(copy, "w") as slim:
                for info in infos:
                    slim.writestr(info, b"" if info.filename in big else archive.read(info))
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError):
        return str(path)
    copy.seek(0)
    return copy


def inline_entities(root: Any) -> None:
    """Replace each unresolved entity reference under `root` by its text as written
    (``&name;``), joined to the text around it."""
    from lxml import etree

    for entity in [e for e in root.iter() if isinstance(e, etree._Entity)]:
        text = (entity.text or "") + (entity.tail or "")
        parent, previous = entity.getparent(), entity.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + text
        elif parent is not None:
            parent.text = (parent.text or "") + text
        if parent is not None:
            parent.remove(entity)
