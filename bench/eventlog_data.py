"""One event log, made once per run by the pure core, shared by the rebuild and growth scenarios.

It is written in the embedded runtime's own format (``lienthong.runtime.eventlog``: tables ``events`` and
``rejections``) with bulk inserts, at the largest size any scenario asks for; a smaller size is a
prefix: the first S events and the rejections decided before the S-th event.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lienthong.bench import data

log = logging.getLogger(__name__)
INSERT_BATCH = 10_000


@dataclass
class SharedLog:
    path: Path
    events: int
    rejections: int
    cutoffs: dict[int, int] = field(default_factory=dict)  # events S -> rejections decided before the S-th
    build_s: float = 0.0
    mean_event_bytes: float = 0.0

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def engine(self) -> Any:
        from lienthong.store import make_engine

        return make_engine(self.url)

    def rejections_for(self, events: int) -> int:
        if events in self.cutoffs:
            return self.cutoffs[events]
        raise KeyError(f"the shared log has no cut at {events} events (sizes: {sorted(self.cutoffs)})")

    def chunks(self, source: str, limit: int, batch: int) -> Iterator[list[Any]]:
        """Stored rows of ``source`` with position <= limit, ``batch`` at a time (positions are 1..n)."""
        from lienthong.runtime.eventlog import EventLog

        elog = EventLog(self.engine())
        after = 0
        while after < limit:
            chunk = elog.read(source, after, min(batch, limit - after))
            if not chunk:
                return
            yield chunk
            after = chunk[-1].position

    def keyed(self, source: str, after: int, limit: int, batch: int = 5000) -> Iterator[list[tuple]]:
        """(position, case_id, data, event_type, event_id) rows of ``source`` in (after, limit]."""
        from sqlalchemy import select

        from lienthong.runtime.eventlog import SOURCES

        table = SOURCES[source]
        cols = [table.c.position, table.c.case_id, table.c.data]
        if source == "events":
            cols += [table.c.event_type, table.c.event_id]
        engine = self.engine()
        try:
            while after < limit:
                query = (
                    select(*cols)
                    .where(table.c.position > after, table.c.position <= limit)
                    .order_by(table.c.position)
                    .limit(batch)
                )
                with engine.connect() as conn:
                    rows = [tuple(r) for r in conn.execute(query)]
                if not rows:
                    return
                yield rows
                after = rows[-1][0]
        finally:
            engine.dispose()


def shared_log(harness: Any, cfg: Any, sizes: list[int]) -> SharedLog:
    """The run's log, made on first use at max(sizes) events (cuts recorded at every size)."""
    cache = harness.__dict__.setdefault("_shared_logs", {})
    wanted = sorted(set(sizes) | set(cfg.rebuild_sizes if "rebuild" in cfg.scenarios else ()))
    wanted = sorted(set(wanted) | set(cfg.growth_sizes if "growth" in cfg.scenarios else ()))
    top = max(wanted)
    for existing in cache.values():
        if existing.events >= top and all(s in existing.cutoffs for s in sizes):
            return existing
    shared = build(harness.path("log") / f"eventlog-{top}.db", top, cfg.seed, wanted)
    cache[top] = shared
    return shared


def build(path: Path, events: int, seed: int, cuts: list[int]) -> SharedLog:
    from sqlalchemy import insert

    from lienthong.runtime.eventlog import EventLog
    from lienthong.runtime.eventlog import events as events_t
    from lienthong.runtime.eventlog import rejections as rejections_t
    from lienthong.store import make_engine

    path.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    EventLog(engine)
    started = time.perf_counter()
    ev_rows: list[dict[str, Any]] = []
    rj_rows: list[dict[str, Any]] = []
    n_ev = n_rj = 0
    total_bytes = 0
    cutoffs: dict[int, int] = {}
    want = set(cuts)

    def flush() -> None:
        with engine.begin() as conn:
            if ev_rows:
                conn.execute(insert(events_t), ev_rows)
            if rj_rows:
                conn.execute(insert(rejections_t), rj_rows)
        ev_rows.clear()
        rj_rows.clear()

    for entry in data.history_for_events(events, seed):
        if entry.kind == "event":
            n_ev += 1
            total_bytes += len(entry.data)
            ev_rows.append(
                {
                    "position": n_ev,
                    "case_id": entry.case_id,
                    "case_version": entry.case_version,
                    "event_id": entry.event_id,
                    "submission_id": entry.submission_id,
                    "event_type": entry.event_type,
                    "recorded_at": entry.recorded_at,
                    "data": entry.data,
                    "event_hash": entry.event_hash,
                }
            )
            if n_ev in want:
                cutoffs[n_ev] = n_rj
        else:
            n_rj += 1
            rj_rows.append(
                {
                    "position": n_rj,
                    "submission_id": entry.submission_id,
                    "case_id": entry.case_id,
                    "emitter_agency_code": entry.emitter_agency_code,
                    "data": entry.data,
                }
            )
        if len(ev_rows) + len(rj_rows) >= INSERT_BATCH:
            flush()
    flush()
    engine.dispose()
    built = time.perf_counter() - started
    log.info("shared log: %d events, %d rejections in %.1fs", n_ev, n_rj, built)
    return SharedLog(
        path, n_ev, n_rj, cutoffs, build_s=round(built, 2), mean_event_bytes=total_bytes / max(1, n_ev)
    )
