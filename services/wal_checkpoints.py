"""SQLite WAL checkpoints run by a background thread, so that writers' commits do not run them.

With SQLite's automatic checkpoint, the commit that pushes the WAL past its threshold copies every frame
back into the database file and fsyncs it before it returns. Once the read models outgrow the page
cache, each projector batch dirties index pages all over the file, and those commits came to dominate a
rebuild: at 400,000 events a third of the commits were checkpoints, about 80 µs of ~340 µs per fact,
and the share kept growing with the file. Here one daemon thread per process watches every file
database made by ``store.make_engine`` and, once its WAL has been written since the last checkpoint and
``interval_s`` has passed, runs a PASSIVE checkpoint from its own short-lived SQLite connection. SQLite
releases the GIL while it copies, so on a second core the writer goes on with its next batch. The
writer's own automatic checkpoint stays, at a higher threshold, as a backstop if this thread falls
behind.

The thread only ``stat``s the WAL: it never opens SQLite's files itself. Closing any descriptor of a
file drops every POSIX lock the process holds on it, SQLite's included, and SQLite then takes another
process's shared memory for abandoned (https://sqlite.org/howtocorrupt.html, 2.2). An earlier version
read the frame count from the ``-shm`` file and a projector process died of SIGBUS within seconds.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

INTERVAL_S = 1.0  # at most one checkpoint per database per second, and only after writes
BACKSTOP_PAGES = 65_536  # the writer's own autocheckpoint (256 MiB), only reached if the thread falls behind
POLL_S = 0.1


def checkpoint(path: Path) -> tuple[int, int, int]:
    """A PASSIVE checkpoint from a fresh connection: (busy, frames in the WAL, frames checkpointed)."""
    conn = sqlite3.connect(path, timeout=0)
    try:
        busy, frames, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(busy), int(frames), int(done)
    finally:
        conn.close()


def _wal_written(path: Path) -> int | None:
    """The WAL's modification time (ns), without opening it; None when there is no WAL."""
    try:
        return os.stat(f"{path}-wal").st_mtime_ns
    except OSError:
        return None


@dataclass
class _Watched:
    owner: weakref.ref[Any]
    checkpointed_at: float = 0.0  # monotonic time of the last checkpoint
    seen_written: int | None = None  # the WAL's mtime the last checkpoint started from


class Checkpointer:
    """Watches databases while the engines that write them are alive; one thread for all of them."""

    def __init__(self, interval_s: float = INTERVAL_S, poll_s: float = POLL_S) -> None:
        self.interval_s = interval_s
        self.poll_s = poll_s
        self.checkpoints = 0
        self._watched: dict[Path, _Watched] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, path: Path, owner: Any) -> None:
        """Check ``path`` until ``owner`` (the engine) is garbage-collected."""
        with self._lock:
            self._watched[Path(path)] = _Watched(weakref.ref(owner), time.monotonic())
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="sqlite-wal-checkpoints", daemon=True)
                self._thread.start()

    def watching(self) -> list[Path]:
        with self._lock:
            return [p for p, w in self._watched.items() if w.owner() is not None]

    def sweep(self, now: float | None = None) -> None:
        """One pass: checkpoint each database written since its last checkpoint, at most once an interval."""
        now = time.monotonic() if now is None else now
        with self._lock:
            for path in [p for p, w in self._watched.items() if w.owner() is None]:
                del self._watched[path]
            due = [(p, w) for p, w in self._watched.items() if now - w.checkpointed_at >= self.interval_s]
        for path, watched in due:
            written = _wal_written(path)
            if written is None or written == watched.seen_written:
                continue
            try:
                checkpoint(path)
                self.checkpoints += 1
            except sqlite3.Error as exc:  # the file was removed or is locked: the writer's backstop remains
                log.debug("background checkpoint of %s skipped: %s", path, exc)
            watched.checkpointed_at, watched.seen_written = now, written

    def _run(self) -> None:
        while True:
            time.sleep(self.poll_s)
            try:
                self.sweep()
            except Exception:  # never let the thread die; the backstop keeps the WAL bounded meanwhile
                log.exception("background WAL checkpoints failed")
            with self._lock:
                if not self._watched:
                    self._thread = None
                    return


CHECKPOINTER = Checkpointer()
