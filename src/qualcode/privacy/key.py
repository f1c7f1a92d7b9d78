"""The project key: the secret that numbers listed identifiers (``[PERSON-4821]``).

Placeholders of listed identifiers come from HMAC-SHA256 of the identifier under this secret,
so the same person gets the same placeholder in every run and nobody without the key can test a
guessed name against them. The key file holds 32 random bytes as hex, mode 0600; it is never
shown in a message.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from qualcode.privacy.identifiers import PseudonymiseError

KEY_BYTES = 32


@dataclass(frozen=True)
class ProjectKey:
    """The project secret read from (or created in) a key file. Its repr hides the secret."""

    secret: bytes = field(repr=False)
    path: Path
    created: bool = False
    warnings: tuple[str, ...] = ()


def load_key(path: str | Path, *, create: bool = True) -> ProjectKey:
    """Read the key file, creating it (32 random bytes, hex, mode 0600) when missing and `create`.

    Raises PseudonymiseError for an unreadable or malformed key file; the key is never shown.
    A key file readable by group or others is returned with a warning.
    """
    path = Path(path)
    created = False
    if create and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            pass
        except OSError as exc:
            raise PseudonymiseError(f"cannot create key file ({exc.strerror})", file=path) from None
        else:
            try:
                os.write(fd, (secrets.token_hex(KEY_BYTES) + "\n").encode("ascii"))
                os.fsync(fd)
            finally:
                os.close(fd)
            os.chmod(path, 0o600)
            created = True
    try:
        raw = path.read_bytes()
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise PseudonymiseError("key file not found", file=path) from None
    except OSError as exc:
        raise PseudonymiseError(f"cannot read key file ({exc.strerror})", file=path) from None
    text = raw.strip()
    if not re.fullmatch(rb"[0-9a-fA-F]{32,256}", text):
        raise PseudonymiseError(
            "not a qualcode key file (expected one line of 32 to 256 hex digits)", file=path
        )
    warnings: tuple[str, ...] = ()
    if mode & 0o077:
        warnings = (f"{path}: key file is readable by other users; run chmod 600 on it",)
    return ProjectKey(bytes.fromhex(text.decode("ascii")), path, created, warnings)


def secret_key(key: ProjectKey | bytes) -> bytes:
    """The secret bytes of a key file, or the bytes given directly (tests, notebooks)."""
    return key.secret if isinstance(key, ProjectKey) else bytes(key)
