"""The parse step's worker processes: forked from a server that has loaded the parsers once.

A spawned worker starts a fresh interpreter and imports the readers, pandera, polars, pyarrow and pint (about a
second on two cores, paid by every worker of every run) and tears them down again at its end. A fork server imports
them once; each worker is a fork of it, ready at once, and leaves by `os._exit`. `python -m pipeline run` starts the
server before it imports Dagster, so its loading overlaps the job's own start-up; the parse step stops it when its
workers are done (it holds some 165 MB that publishing needs). A run that parses in its own process (a small change)
leaves it to end with the process: stopping it then would wait for its loading. Standard library only: importing
this module must cost nothing. Where fork servers do not exist (Windows), or with TRIALS_WORKER_START=spawn, workers
are spawned as before.
"""
from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import forkserver

# what every parse worker imports: the server loads these before it forks any (and builds pint's unit registry,
# pure Python: pipeline/preload.py). Loads only: nothing may run polars,
# pyarrow or DuckDB in the server, since a fork of a process whose thread pools have started can deadlock (warming
# pandera's backends there, 0.3 s a worker, hung the workers' first batch). pandera imports its polars checks on a
# process's first validation, and with them hypothesis where it is installed (and pytest, through trio's plugin):
# 0.2-0.25 s of every worker's first batch, taken here (imports only: no thread starts)
PRELOAD = ("pipeline.parsing", "pipeline.preload", "pandera.backends.polars.builtin_checks")
FORKSERVER = "forkserver" in multiprocessing.get_all_start_methods()
# TRIALS_WORKER_START=spawn: fresh interpreters as before this module, should a forked worker ever hang (the server's
# imports start threads: jemalloc's, polars' spill cleaner; see docs/performance.md)
START_VARIABLE = "TRIALS_WORKER_START"
START_METHODS = ("forkserver", "spawn")


def _method() -> str:
    method = os.environ.get(START_VARIABLE) or "forkserver"
    if method not in START_METHODS:
        raise ValueError(f"{START_VARIABLE}={method!r}: one of {', '.join(START_METHODS)}")
    return method if FORKSERVER else "spawn"


def _context() -> multiprocessing.context.BaseContext:
    ctx = multiprocessing.get_context(_method())
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(list(PRELOAD))
    return ctx


def start() -> None:
    """Start the fork server now, in the background, rather than when the parse step first needs a worker."""
    if _context().get_start_method() == "forkserver":
        forkserver.ensure_running()


@contextmanager
def pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """`workers` parse workers; the fork server is stopped after them (the next pool starts it again)."""
    try:
        with ProcessPoolExecutor(workers, mp_context=_context()) as executor:
            yield executor
    finally:
        stop()


def stop() -> None:
    """Stop the fork server if it runs, and wait for it to end (some 0.3 s: its interpreter's teardown). Not in the
    background: a pool started meanwhile would fork from a server being stopped, which waits for that pool's workers."""
    stop_server = getattr(forkserver._forkserver, "_stop", None)  # the standard library's own tests stop it so
    if FORKSERVER and stop_server is not None:
        stop_server()
