"""Local worker processes for ensembles and sweeps.

Workers fork from a fork server that has already imported the model, so they start fast
and do not inherit the calling process's threads; each ends soon after the process that
started it is gone.  Results never depend on the number of workers: every run draws from
the random stream of its own block (``sim.model.model``).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Executor


@contextlib.contextmanager
def local_pool(workers: int, preload: str = "sim.experiments.ensemble") -> Iterator[Executor]:
    """A pool of ``workers`` local processes forked from a server that has imported
    ``preload``."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([preload])
    _start_helpers_quietly()
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=_watch_parent, initargs=(os.getpid(),)) as pool:
        yield pool


def usable_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _start_helpers_quietly() -> None:
    """Start multiprocessing's fork server and resource tracker with their standard output
    and error on /dev/null: they and the workers forked from them outlive a job killed
    outright, and holding the job's output open they would keep a pipe (``| tee``, a CI
    log) from ever closing.  Workers report errors through their futures, not stderr."""
    from multiprocessing import forkserver, resource_tracker

    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        os.dup2(null, 2)
        resource_tracker.ensure_running()
        forkserver.ensure_running()
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, null):
            os.close(fd)


def _watch_parent(pid: int, every: float = 1.0) -> None:
    """Worker initializer: end this worker soon after the calling process ``pid`` is gone
    (a killed job would otherwise leave its workers computing what nobody collects)."""
    import threading

    def watch() -> None:
        while True:
            time.sleep(every)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()
