"""A small on-disk cache for work that depends only on public inputs, to start commands faster.

What is cached, and why it is safe to cache:
- digests of spaCy token patterns that spaCy's validating Matcher accepted (keyed by the spaCy
  version): the edit-test loop (`qualcode codebook test`) re-validates only the patterns that
  changed. Only digests are stored, never the patterns or any text;
- spacy-lookups-data's lemma tables, decompressed (keyed by that package's version): public data.

Nothing from transcripts, decisions or outputs is ever cached. Entries are JSON (never pickle or
marshal: reading a cache file never runs code), written through a temporary file and renamed, so
a reader sees a whole entry or none. A missing, unreadable or damaged entry is a cache miss; a
cache that cannot be written is skipped. The folder is ``$QUALCODE_CACHE_DIR``, else
``$XDG_CACHE_HOME/qualcode``, else ``~/.cache/qualcode``; ``QUALCODE_NO_CACHE=1`` turns it off.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def cache_dir() -> Path | None:
    """The cache folder, or None when caching is turned off."""
    if os.environ.get("QUALCODE_NO_CACHE", "").strip() not in ("", "0"):
        return None
    explicit = os.environ.get("QUALCODE_CACHE_DIR", "").strip()
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(xdg) if xdg else Path.home() / ".cache") / "qualcode"


def read_entry(name: str) -> Any | None:
    """The JSON value stored under `name` (a file name), or None on a miss."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        with open(folder / name, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def write_entry(name: str, value: Any) -> None:
    """Store `value` (JSON-serialisable) under `name`; silently skipped if it cannot be written."""
    folder = cache_dir()
    if folder is None:
        return
    tmp: str | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(value, handle, ensure_ascii=False, separators=(",", ":"))
        os.replace(tmp, folder / name)
        tmp = None
    except (OSError, TypeError, ValueError):
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
