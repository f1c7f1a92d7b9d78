"""The Dask client behind every `--engine dask`: a scheduler's address, or a local cluster.

dask[distributed] is an optional extra (`pip install "qualcode[dask]"`); it is imported only
here, when a Dask engine is asked for.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from qualcode.errors import QualcodeError

DASK_MISSING = 'the Dask engine needs dask[distributed]: pip install "qualcode[dask]"'
DEFAULT_WORKERS = 2


def check_scheduler(engine: str, scheduler: str | None) -> None:
    """A scheduler address only means something to the Dask engine: refuse it otherwise."""
    if scheduler is not None and engine != "dask":
        raise QualcodeError("--scheduler needs --engine dask")


@contextlib.contextmanager
def dask_client(workers: int = DEFAULT_WORKERS, scheduler: str | None = None) -> Iterator[Any]:
    """A `dask.distributed.Client`, closed on exit (with its cluster, when it started one).

    With `scheduler` (e.g. "tcp://10.0.0.5:8786") it connects to that cluster; otherwise it
    starts a LocalCluster of `workers` single-threaded worker processes listening on 127.0.0.1
    only. Raises QualcodeError when dask[distributed] is not installed or the scheduler cannot
    be reached.
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise QualcodeError(DASK_MISSING) from None
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=max(1, workers),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
            silence_logs=logging.ERROR,  # its scheduler runs here: no shuffle chatter on stderr
        )
    try:
        try:
            client = Client(cluster if cluster is not None else scheduler)
        except (OSError, TimeoutError) as exc:
            raise QualcodeError(
                f"cannot connect to the Dask scheduler at {scheduler} ({type(exc).__name__})"
            ) from None
        with client:
            yield client
    finally:
        if cluster is not None:
            cluster.close()
