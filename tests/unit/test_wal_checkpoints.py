"""Background WAL checkpoints: the writer's commits stop running them, and nothing written is lost."""

from __future__ import annotations

import gc
import sqlite3
import threading
import time
from pathlib import Path

from sqlalchemy import text

from lienthong.store import make_engine
from lienthong.wal_checkpoints import BACKSTOP_PAGES, CHECKPOINTER, Checkpointer, waiting_frames

ROW = "x" * 3000  # about one 4 KiB page per row


def _write(engine, rows: int, start: int = 0) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO t (id, body) VALUES (:id, :body)"),
            [{"id": start + i, "body": ROW} for i in range(rows)],
        )


def _table(engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"))


def test_waiting_frames_read_from_the_wal_index_match_sqlites_own_count(tmp_path: Path) -> None:
    path = tmp_path / "rm.db"
    engine = make_engine(f"sqlite:///{path}")
    _table(engine)
    _write(engine, 200)
    frames, page = waiting_frames(path)
    assert page == 4096
    # SQLite's own view: a PASSIVE checkpoint reports the frames in the WAL and how many it copied.
    conn = sqlite3.connect(path)
    _busy, in_wal, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    conn.close()
    assert frames == in_wal > 200  # every row's page, plus the index and table-root pages
    assert copied == in_wal
    assert waiting_frames(path) == (0, 4096)
    engine.dispose()


def test_no_wal_yet_means_nothing_waits(tmp_path: Path) -> None:
    assert waiting_frames(tmp_path / "absent.db") == (0, 0)


def test_a_sweep_checkpoints_only_past_the_threshold_and_the_writer_keeps_writing(tmp_path: Path) -> None:
    path = tmp_path / "rm.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:  # the writer's own checkpoint is a backstop far above the threshold
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == BACKSTOP_PAGES
    _table(engine)
    checkpointer = Checkpointer(threshold_bytes=400 * 4096)
    checkpointer.watch(path, engine)
    _write(engine, 100)
    checkpointer.sweep()
    assert checkpointer.checkpoints == 0 and waiting_frames(path)[0] > 100  # under the threshold
    _write(engine, 400, start=100)
    checkpointer.sweep()
    assert checkpointer.checkpoints == 1 and waiting_frames(path)[0] == 0
    _write(engine, 50, start=500)  # the WAL restarts from its beginning: frames count from zero again
    assert 50 <= waiting_frames(path)[0] < 100
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*), SUM(id) FROM t")).one() == (550, sum(range(550)))
    engine.dispose()


def test_concurrent_writer_and_background_thread_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "rm.db"
    engine = make_engine(f"sqlite:///{path}")
    _table(engine)
    checkpointer = Checkpointer(threshold_bytes=64 * 4096, interval_s=0.001)
    checkpointer.watch(path, engine)
    reader_errors: list[Exception] = []
    stop = threading.Event()

    def read() -> None:  # an API reading while the projector writes and the thread checkpoints
        while not stop.is_set():
            try:
                with engine.connect() as conn:
                    n, total = conn.execute(text("SELECT COUNT(*), COALESCE(SUM(id), 0) FROM t")).one()
                assert total == n * (n - 1) // 2  # whole batches only: ids 0..n-1
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                reader_errors.append(exc)
                return

    reader = threading.Thread(target=read)
    reader.start()
    for batch in range(40):
        _write(engine, 25, start=batch * 25)
    stop.set()
    reader.join()
    deadline = time.monotonic() + 5
    while checkpointer.checkpoints == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert reader_errors == []
    assert checkpointer.checkpoints > 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*), SUM(id) FROM t")).one() == (1000, sum(range(1000)))
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    engine.dispose()


def test_a_database_is_watched_while_its_engine_lives(tmp_path: Path) -> None:
    path = (tmp_path / "rm.db").resolve()
    engine = make_engine(f"sqlite:///{path}")
    assert path in CHECKPOINTER.watching()
    before = len(CHECKPOINTER.watching())
    memory = make_engine("sqlite://")
    assert len(CHECKPOINTER.watching()) == before  # an in-memory database has no WAL to watch
    del engine, memory
    gc.collect()
    assert path not in CHECKPOINTER.watching()
