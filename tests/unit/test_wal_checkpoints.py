"""Background WAL checkpoints: the writer's commits stop running them, and nothing written is lost."""

from __future__ import annotations

import builtins
import gc
import io
import threading
import time
from pathlib import Path

from sqlalchemy import text

from lienthong.store import make_engine
from lienthong.wal_checkpoints import BACKSTOP_PAGES, CHECKPOINTER, Checkpointer

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


def _wal_size(path: Path) -> int:
    return (path.parent / f"{path.name}-wal").stat().st_size


def test_a_sweep_checkpoints_after_writes_at_most_once_an_interval(tmp_path: Path) -> None:
    path = tmp_path / "rm.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:  # the writer's own checkpoint is a backstop far above what a batch writes
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == BACKSTOP_PAGES
    _table(engine)
    checkpointer = Checkpointer(interval_s=10)
    checkpointer.watch(path, engine)
    start = time.monotonic()
    _write(engine, 100)
    checkpointer.sweep(now=start + 1)
    assert checkpointer.checkpoints == 0  # within the interval
    checkpointer.sweep(now=start + 11)
    assert checkpointer.checkpoints == 1
    checkpointer.sweep(now=start + 22)
    assert checkpointer.checkpoints == 1  # nothing written since
    size = _wal_size(path)
    _write(engine, 50, start=100)
    # Every frame was copied back, so the next transaction starts the WAL again from its beginning
    # instead of growing it (as it does when nothing checkpointed).
    assert _wal_size(path) == size
    _write(engine, 150, start=150)
    assert _wal_size(path) > size
    checkpointer.sweep(now=start + 33)
    assert checkpointer.checkpoints == 2
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*), SUM(id) FROM t")).one() == (300, sum(range(300)))
    engine.dispose()


def test_the_checkpointer_never_opens_sqlites_files_itself(tmp_path: Path, monkeypatch) -> None:
    """Closing a descriptor drops the process's POSIX locks on that file, SQLite's too (howtocorrupt 2.2)."""
    path = tmp_path / "rm.db"
    engine = make_engine(f"sqlite:///{path}")
    _table(engine)
    _write(engine, 20)
    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):
        assert "rm.db" not in str(file), f"opened {file} outside SQLite"
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(io, "open", guarded_open)
    checkpointer = Checkpointer(interval_s=0)
    checkpointer.watch(path, engine)
    checkpointer.sweep()
    assert checkpointer.checkpoints == 1
    engine.dispose()


def test_concurrent_writer_and_background_thread_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "rm.db"
    engine = make_engine(f"sqlite:///{path}")
    _table(engine)
    checkpointer = Checkpointer(interval_s=0.005, poll_s=0.001)
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
