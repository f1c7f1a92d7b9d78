"""Where the jobs run: this process, local worker processes, or a Dask cluster.

Whatever runs them, `run_jobs` yields the finished transcripts in job order, so every engine
writes the same files.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from qualcode.coding.job import Finished, Job, Settings, finish_job, matcher_for
from qualcode.errors import QualcodeError

# With fewer transcripts than this, starting worker processes (each loads spaCy and the lemma
# tables, ~2 s) costs more than it saves; `workers=0` then codes in this process.
AUTO_PARALLEL_MIN_JOBS = 32
CHUNK = 8  # most transcripts per task sent to a worker process
_WORKER_SETTINGS: Settings | None = None


def _init_worker(settings: Settings, languages: Sequence[str], parent: int) -> None:
    """Start a worker: keep the settings, build the pipelines and matchers it will need."""
    global _WORKER_SETTINGS
    _die_with_parent(parent)
    _WORKER_SETTINGS = settings
    from qualcode.matching.pipelines import get_pipeline

    for language in languages:
        # An unknown language is reported with its file name when a job meets it.
        with contextlib.suppress(QualcodeError):
            matcher_for(settings, get_pipeline(language, settings.spacy_model))


def _die_with_parent(parent: int) -> None:
    """Have Linux end this worker when the process that started it dies (even by SIGKILL),
    instead of leaving it waiting for work forever."""
    import signal

    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return
    if os.getppid() != parent:  # it died before the request took effect
        os._exit(1)


def _code_chunk_in_worker(jobs: list[Job], columns: dict[str, list[str]]) -> list[Finished]:
    assert _WORKER_SETTINGS is not None
    settings = replace(_WORKER_SETTINGS, columns=columns)
    return [finish_job(job, settings) for job in jobs]


class LocalPool:
    """Worker processes for the local engine, started before the scan.

    Each worker builds its pipelines and matchers (for the codebook's languages) while the
    main process scans the corpus, so neither waits for the other; the table columns, known
    only after the scan, travel with each task.
    """

    def __init__(self, workers: int, settings: Settings) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        self.workers = workers
        self.executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_init_worker,
            initargs=(settings, settings.book.languages, os.getpid()),
        )
        # Start every worker now (the executor would start them one task at a time).
        for _ in range(workers):
            self.executor.submit(int)

    def run(self, jobs: Sequence[Job], columns: dict[str, list[str]]) -> Iterator[Finished]:
        """Each job's finished transcript, in job order."""
        # Several transcripts per task, several tasks per worker in flight: a worker must
        # never wait for the main process (busy writing tables) to hand it its next one.
        size = max(1, min(CHUNK, len(jobs) // (self.workers * 8)))
        chunks = [list(jobs[i : i + size]) for i in range(0, len(jobs), size)]
        submit = self.executor.submit
        for finished in _in_order(
            lambda chunk: submit(_code_chunk_in_worker, chunk, columns), chunks, self.workers * 4
        ):
            yield from finished

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def _code_chunk(jobs: list[Job], settings: Settings) -> list[Finished]:
    return [finish_job(job, settings) for job in jobs]


def run_jobs(
    jobs: Sequence[Job],
    settings: Settings,
    *,
    workers: int = 1,
    engine: str = "local",
    scheduler: str | None = None,
    pool: LocalPool | None = None,
) -> Iterator[Finished]:
    """Yield each job's finished transcript in job order, whatever the engine.

    `pool`: worker processes already started (see `planned_workers`); without one, the local
    engine codes in this process.
    """
    if workers <= 0:
        workers = planned_workers(len(jobs), workers)
    if engine == "dask":
        yield from _run_dask(jobs, settings, workers, scheduler)
    elif pool is not None and len(jobs) > 1:
        yield from pool.run(jobs, settings.columns)
    elif workers > 1 and len(jobs) > 1:
        owned = LocalPool(workers, settings)
        try:
            yield from owned.run(jobs, settings.columns)
        finally:
            owned.close()
    else:
        for job in jobs:
            yield finish_job(job, settings)


def planned_workers(transcripts: int, workers: int) -> int:
    """Processes to code with: `workers`, or for 0 (auto) every core when there are enough
    transcripts to pay for starting them."""
    if workers > 0:
        return workers
    return default_workers() if transcripts >= AUTO_PARALLEL_MIN_JOBS else 1


def _in_order(submit: Callable[[Any], Any], items: Sequence[Any], window: int) -> Iterator[Any]:
    """Results of submit(item) in item order, with at most `window` tasks in flight.

    Bounding the window keeps finished-but-unconsumed results from piling up in memory when
    workers outpace the writer.
    """
    from collections import deque

    pending: deque = deque()
    queue = iter(items)
    for item in queue:
        pending.append(submit(item))
        if len(pending) >= window:
            break
    while pending:
        future = pending.popleft()
        result = future.result()
        following = next(queue, None)
        if following is not None:
            pending.append(submit(following))
        yield result


def _run_dask(
    jobs: Sequence[Job], settings: Settings, workers: int, scheduler: str | None
) -> Iterator[Finished]:
    from qualcode.coding.cluster import dask_client

    with dask_client(workers, scheduler) as client:
        remote_settings = client.scatter(settings, broadcast=True)
        size = max(1, min(16, len(jobs) // (max(1, workers) * 4) or 1))
        chunks = [list(jobs[i : i + size]) for i in range(0, len(jobs), size)]
        for finished in _in_order(
            lambda chunk: client.submit(_code_chunk, chunk, remote_settings, pure=False),
            chunks,
            max(1, workers) * 3,
        ):
            yield from finished


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
