"""Atomic writes: a file through a temporary sibling, an output folder by swapping a finished copy.

`atomic_write_file` renames a fully written temporary file into place. `write_output_folder`
lets a filler write a fresh temporary folder, then swaps it with the target in one step
(`renameat2` RENAME_EXCHANGE on Linux, two renames elsewhere), so an interrupted run leaves the
previous folder intact -- never a mix of old and new files. A lock held while a run writes
tells a folder abandoned by a killed run (removed by the next run) from one still being written.
"""

from __future__ import annotations

import errno
import glob
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from qualcode.output.guard import OutputTarget, carry_over, check_output_folder, write_marker

# Held (flock) by a run while it writes its temporary folder; never part of a finished folder.
_LOCK_FILE = ".qualcode-writing"


def atomic_write_file(path: Path, writer: Callable[[Path], object]) -> None:
    """Call writer(tmp_path) on a temporary file beside `path`, then rename it into place.

    What `writer` returns is ignored (so `Path.write_text` and friends serve as they are).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        writer(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_output_folder(
    out: Path,
    fill: Callable[[Path], None],
    *,
    inputs: Iterable[str | Path | None] = (),
    force: bool = False,
) -> OutputTarget:
    """Let `fill(folder)` write into a fresh temporary folder, then swap it with `out`.

    `out` must be a folder qualcode may replace (see `qualcode.output.guard`): never one of
    `inputs`, never the user's files; with `force` files qualcode did not write are carried
    over into the new folder. A link to a folder is written through (its target is replaced).
    The finished folder gets its marker. If `fill` fails (or the process is killed) the
    previous `out` folder is left as it was. Returns where it was written and what was kept.
    Raises OutputError when `out` may not be replaced (nothing is touched).
    """
    target = check_output_folder(out, inputs, force=force)
    final = target.folder
    parent = final.parent
    parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(parent, final.name)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=parent))
    os.chmod(tmp, 0o777 & ~_umask())
    # Held while this run writes: a folder whose lock nobody holds was left by a killed run.
    lock = open(tmp / _LOCK_FILE, "w")  # noqa: SIM115 - held until the folder is complete
    try:
        _lock(lock)  # a fresh folder: nobody else holds it
        fill(tmp)
        (tmp / _LOCK_FILE).unlink()  # complete: from here on the folder is not abandoned
        write_marker(tmp)
        _sync_tree(tmp)
        if target.extras:  # after the chmod: the user's files keep their modes
            carry_over(final, tmp, target.extras)
            _fsync_dir(tmp)
        _swap(tmp, final, parent)
    finally:
        lock.close()
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _sync_tree(folder: Path) -> None:
    """Give every file the umask's modes and put it on disk (before the swap, not after)."""
    for child in sorted(folder.rglob("*")):  # sub-folders too: a dataset's part files
        if child.is_file():  # a sub-folder keeps its x bits
            os.chmod(child, 0o666 & ~_umask())
            with open(child, "rb") as handle:
                os.fsync(handle.fileno())
        elif child.is_dir():
            _fsync_dir(child)
    _fsync_dir(folder)


def _swap(tmp: Path, out: Path, parent: Path) -> None:
    """Put the finished `tmp` in place of `out`, then delete the previous folder."""
    old = None
    if out.exists():
        if _exchange(tmp, out):  # one atomic step: `out` is never missing
            old = tmp  # now holds the previous folder
        else:  # no renameat2: two renames, with a moment where `out` is missing
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=parent))
            old.rmdir()
            os.replace(out, old)
            os.replace(tmp, out)
    else:
        os.replace(tmp, out)
    _fsync_dir(parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _lock(handle) -> bool:
    """flock `handle` exclusively without waiting; False if another process holds it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no cleanup of abandoned folders
        return False
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _remove_abandoned(parent: Path, name: str) -> None:
    """Delete temporary folders of earlier runs into `name` that were killed while writing.

    A run holds a lock on a file in its temporary folder until the folder is complete; the
    operating system releases it when the process dies. A folder with that file and no lock
    holder is therefore abandoned; a folder of a run still writing is left alone.
    """
    for candidate in parent.glob(f".{glob.escape(name)}.*.tmp"):
        lock_path = candidate / _LOCK_FILE
        try:
            handle = open(lock_path)  # noqa: SIM115 - closed below
        except OSError:
            continue  # no lock file: finishing right now, or not ours
        with handle:
            if _lock(handle):
                shutil.rmtree(candidate, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # glibc < 2.28, musl
        return False
    path_arg, int_arg = ctypes.c_char_p, ctypes.c_int
    renameat2.argtypes = [int_arg, path_arg, int_arg, path_arg, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EPERM):  # kernel / filesystem
        return False
    raise OSError(error, os.strerror(error), str(b))


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
