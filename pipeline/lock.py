"""One writer per output folder: the CLI's runs, the sensor's, the schedule's and the UI's all take this lock.

The lock is an flock on `.state/writer.lock`, so the kernel releases it when its holder dies (kill -9 included):
a stale lock from a killed run is simply free again. The file also records who holds it (pid, start time,
command) so a refused writer can say whom it waits for. Within one process the lock is re-entrant: a CLI run
holds it for the whole job while each asset step takes it again.
"""
from __future__ import annotations

import fcntl
import json
import os
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

_held: dict[Path, list] = {}  # lock path → [open file, depth] for the locks this process holds
_guard = threading.Lock()


class LockedError(RuntimeError):
    """Another process is writing to this output folder; the message names it."""


def holder(path: Path) -> str:
    """Who holds (or last held) the lock, as recorded in the lock file."""
    try:
        info = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return "an unknown process"
    return f"pid {info.get('pid')} ({info.get('command', '?')}), writing since {info.get('started', '?')}"


@contextmanager
def writer_lock(path: Path, wait: float | None = None) -> Iterator[None]:
    """Hold the output folder's writer lock; wait up to `wait` seconds (None: forever) or raise LockedError."""
    path = path.resolve()
    with _guard:
        entry = _held.get(path)
        if entry:
            entry[1] += 1
    if entry:
        try:
            yield
        finally:
            with _guard:
                entry[1] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "a+")
    try:
        _acquire(fh, path, wait)
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({"pid": os.getpid(), "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                             "command": " ".join(sys.argv[:3])}))
        fh.flush()
        with _guard:
            _held[path] = [fh, 1]
        try:
            yield
        finally:
            with _guard:
                del _held[path]
    finally:
        fh.close()  # closing the file releases the flock


def _acquire(fh, path: Path, wait: float | None) -> None:
    deadline = None if wait is None else time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if deadline is not None and time.monotonic() >= deadline:
                raise LockedError(f"another run is writing to {path.parent.parent}: {holder(path)}") from None
            time.sleep(0.2)
