"""SQLite WAL checkpoints run by a background thread, so that writers' commits do not run them.

With SQLite's automatic checkpoint, the commit that pushes the WAL past its threshold copies every frame
back into the database file and fsyncs it before it returns. Once the read models outgrow the page
cache, each projector batch dirties index pages all over the file, and those commits came to dominate a
rebuild: at 400,000 events a third of the commits were checkpoints, about 80 µs of ~340 µs per fact,
and the share kept growing with the file. Here one daemon thread per process watches every file
database made by ``store.make_engine`` and runs a PASSIVE checkpoint from its own short-lived
connection when enough frames are waiting. SQLite releases the GIL while it copies, so on a second core
the writer goes on with its next batch. The writer's own automatic checkpoint stays, at a higher
threshold, as a backstop in case this thread falls behind.

How many frames wait is read from the WAL-index (the ``-shm`` file), whose layout is part of SQLite's
documented file format (https://sqlite.org/walformat.html): ``mxFrame`` at byte 16 of the header and
``nBackfill`` at byte 96, in native byte order.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
import threading
import time
import weakref
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

THRESHOLD_BYTES = 64 * 1024 * 1024  # WAL frames waiting before the thread checkpoints them
BACKSTOP_PAGES = 65_536  # the writer's own autocheckpoint, only reached if the thread falls behind
INTERVAL_S = 0.1
_HEADER_BYTES = 100  # WAL-index header (2 x 48 bytes) + nBackfill


def waiting_frames(path: Path) -> tuple[int, int]:
    """(frames in the WAL not yet copied into the database, page size); (0, 0) when there is no WAL."""
    try:
        with open(f"{path}-shm", "rb") as shm:
            head = shm.read(_HEADER_BYTES)
    except OSError:
        return 0, 0
    if len(head) < _HEADER_BYTES:
        return 0, 0
    order = sys.byteorder
    page = int.from_bytes(head[14:16], order)
    max_frame = int.from_bytes(head[16:20], order)
    backfilled = int.from_bytes(head[96:100], order)
    return max(0, max_frame - backfilled), 65_536 if page == 1 else page


def checkpoint(path: Path) -> tuple[int, int, int]:
    """A PASSIVE checkpoint from a fresh connection: (busy, frames in the WAL, frames checkpointed)."""
    conn = sqlite3.connect(path, timeout=0)
    try:
        busy, frames, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(busy), int(frames), int(done)
    finally:
        conn.close()


class Checkpointer:
    """Watches databases while the engines that write them are alive; one thread for all of them."""

    def __init__(self, threshold_bytes: int = THRESHOLD_BYTES, interval_s: float = INTERVAL_S) -> None:
        self.threshold_bytes = threshold_bytes
        self.interval_s = interval_s
        self.checkpoints = 0
        self._watched: dict[Path, weakref.ref[Any]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, path: Path, owner: Any) -> None:
        """Check ``path`` until ``owner`` (the engine) is garbage-collected."""
        with self._lock:
            self._watched[Path(path)] = weakref.ref(owner)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="sqlite-wal-checkpoints", daemon=True)
                self._thread.start()

    def watching(self) -> list[Path]:
        with self._lock:
            return [p for p, ref in self._watched.items() if ref() is not None]

    def sweep(self) -> None:
        """One pass: checkpoint each database whose waiting frames reached the threshold."""
        with self._lock:
            for path in [p for p, ref in self._watched.items() if ref() is None]:
                del self._watched[path]
            paths = list(self._watched)
        for path in paths:
            frames, page = waiting_frames(path)
            if frames * page < self.threshold_bytes:
                continue
            try:
                checkpoint(path)
                self.checkpoints += 1
            except sqlite3.Error as exc:  # the file was removed or is locked: the writer's backstop remains
                log.debug("background checkpoint of %s skipped: %s", path, exc)

    def _run(self) -> None:
        while True:
            time.sleep(self.interval_s)
            try:
                self.sweep()
            except Exception:  # never let the thread die; the backstop keeps the WAL bounded meanwhile
                log.exception("background WAL checkpoints failed")
            with self._lock:
                if not self._watched:
                    self._thread = None
                    return


CHECKPOINTER = Checkpointer()
