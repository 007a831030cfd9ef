"""Floors under the rebuild: what the read models cost at the least, whatever the projector does.

The decode ceiling (fastavro alone) leaves out two costs no rebuild can skip:

- the **write floor**: storing the rows the read models end up with, bulk-inserted into empty tables
  (SQLite: the driver's executemany; PostgreSQL: COPY), with no logic and no upserts;
- the **logic floor**: the views' own work, every fact applied to every view in memory (no database).

Both are measured on the rebuild's own output and events, so the report can say how far a goal is from
what storage and view logic allow, i.e. whether "tune the projector" can meet it at all.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from lienthong.bench.eventlog_data import SharedLog


def read_models(url: str) -> dict[str, list[tuple]]:
    """Every read-model row stored at ``url`` (checkpoints and projector bookkeeping left out)."""
    from sqlalchemy import select

    from lienthong.projections import tables as t
    from lienthong.store import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                name: [tuple(r) for r in conn.execute(select(table))]
                for name, table in t.metadata.tables.items()
                if name not in ("projector_checkpoints", "projector_meta")
            }
    finally:
        engine.dispose()


def write_floor_sqlite(rows: dict[str, list[tuple]], path: Path) -> dict[str, Any]:
    """Insert the rows into a fresh SQLite file with the same schema and indexes, one transaction."""
    from lienthong.projections import tables as t
    from lienthong.store import make_engine

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    try:
        t.metadata.create_all(engine)
        raw = engine.raw_connection()
        try:
            started = time.perf_counter()
            cur = raw.cursor()
            for name, table_rows in rows.items():
                if table_rows:
                    marks = ", ".join("?" * len(table_rows[0]))
                    cur.executemany(f'INSERT INTO "{name}" VALUES ({marks})', table_rows)
            raw.commit()
            seconds = time.perf_counter() - started
        finally:
            raw.close()
    finally:
        engine.dispose()
    return _result(rows, seconds, "sqlite3 executemany into empty indexed tables")


def write_floor_postgres(rows: dict[str, list[tuple]], url: str) -> dict[str, Any]:
    """COPY the rows into empty temporary copies of the tables (same columns, keys and indexes)."""
    from lienthong.store import make_engine

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            raw = conn.connection.driver_connection
            with raw.cursor() as cur:
                for name in rows:
                    cur.execute(f'CREATE TEMP TABLE "floor_{name}" (LIKE "{name}" INCLUDING ALL)')
                started = time.perf_counter()
                for name, table_rows in rows.items():
                    if table_rows:
                        with cur.copy(f'COPY "floor_{name}" FROM STDIN') as copy:
                            for row in table_rows:
                                copy.write_row(row)
                seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    return _result(rows, seconds, "COPY into empty temporary tables LIKE the read models")


def logic_floor(shared: SharedLog, events: int) -> dict[str, Any]:
    """Every fact through every view on rows held in memory: no reads, no writes, no transaction."""
    from lienthong.projections.facts import Fact
    from lienthong.projections.views import default_views
    from lienthong.schemas import decode

    views = default_views()
    facts = []
    for source, kind in (("events", "event"), ("rejections", "rejection")):
        limit = events if source == "events" else shared.rejections_for(events)
        for chunk in shared.chunks(source, limit, 5000):
            facts.extend(Fact(source, 0, s.position, kind, decode(s.data).record) for s in chunk)
    seconds = _run_views(views, facts)
    prefix = facts[:BY_VIEW_FACTS]
    return {
        "facts": len(facts),
        "seconds": round(seconds, 3),
        "us_per_fact": 1e6 * seconds / max(1, len(facts)),
        "events_per_s": len(facts) / seconds if seconds else 0.0,
        "views": len(views),
        "method": "default_views() applied in list order to rows in a dict (no database)",
        "by_view": by_view(views, prefix),
        "by_view_facts": len(prefix),
        "dispatch_us_per_fact": 1e6 * _run_views([_NoopView()] * len(views), prefix) / max(1, len(prefix)),
    }


def _run_views(views: list[Any], facts: list[Any]) -> float:
    """Seconds to hand every fact to every view, in order, on rows held in memory."""
    rows = _MemoryRows()
    started = time.perf_counter()
    for fact in facts:
        for view in views:
            rows.prefetch(view.prefetch(fact))
            view.apply(rows, fact)
    return time.perf_counter() - started


BY_VIEW_FACTS = 100_000  # the per-view split is a share, so a prefix of the log is enough


def by_view(views: list[Any], facts: list[Any]) -> dict[str, float]:
    """µs per fact of each view on its own (prefetch + apply), views in the projector's order.

    Timed per call, so the sum exceeds the untimed floor by the timer's own cost; the shares hold.
    """
    rows = _MemoryRows()
    spent = [0.0] * len(views)
    clock = time.perf_counter
    for fact in facts:
        for i, view in enumerate(views):
            started = clock()
            rows.prefetch(view.prefetch(fact))
            view.apply(rows, fact)
            spent[i] += clock() - started
    n = max(1, len(facts))
    return {type(v).__name__: 1e6 * s / n for v, s in zip(views, spent, strict=True)}


class _NoopView:
    """A view that does nothing: what handing a fact over costs on its own."""

    def prefetch(self, fact: Any) -> tuple:
        return ()

    def apply(self, rows: Any, fact: Any) -> None:
        return None


class _MemoryRows:
    """RowSet's interface over a plain dict: a missing row is simply absent (the tables start empty)."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, Any], Any] = {}

    def prefetch(self, keys: Any) -> None:
        for key in keys:
            self._rows.setdefault(key, None)

    def get(self, table: str, pk: Any) -> Any:
        return self._rows.get((table, pk))

    def get_or_create(self, table: str, pk: Any, factory: Any) -> Any:
        row = self.get(table, pk)
        if row is None:
            row = self._rows[(table, pk)] = factory()
        return row

    def put(self, table: str, pk: Any, row: Any) -> None:
        self._rows[(table, pk)] = row

    def touch(self, table: str, pk: Any) -> None:
        pass


def _result(rows: dict[str, list[tuple]], seconds: float, method: str) -> dict[str, Any]:
    n = sum(map(len, rows.values()))
    return {
        "rows": n,
        "seconds": round(seconds, 3),
        "us_per_row": 1e6 * seconds / max(1, n),
        "method": method,
    }


def bounds(decode_us: float, write_us: float, logic_us: float | None) -> dict[str, Any]:
    """What the floors allow, per fact: the best rebuild rate and its ratio to the decode ceiling."""
    storage_bound = decode_us + write_us
    out = {
        "decode_us_per_fact": decode_us,
        "write_floor_us_per_fact": write_us,
        "max_events_per_s_storage_bound": 1e6 / storage_bound,
        "max_ratio_vs_decode_storage_bound": decode_us / storage_bound,
    }
    if logic_us is not None:
        total = storage_bound + logic_us
        out |= {
            "logic_floor_us_per_fact": logic_us,
            "max_events_per_s_with_logic": 1e6 / total,
            "max_ratio_vs_decode_with_logic": decode_us / total,
        }
    return out


def reach(
    goal_us: float, decode_us: float, write_us: float, logic_us: float, cores: int, single_writer: bool
) -> dict[str, Any]:
    """Whether a rebuild goal (wall µs per fact) is reachable on this machine, however the work is split.

    The most any design of this projector can do with ``cores`` cores: every fact decoded once, its view
    logic and its storage spread perfectly over all cores with no coordination cost. A single-writer
    store (SQLite) also cannot store faster than its write floor on one core. If even that bound misses
    the goal, no tuning of the projector can meet it; ``logic_budget_us`` is the most view logic per fact
    that would still allow the goal (negative: not even views that cost nothing would).
    """
    cpu_us = decode_us + logic_us + write_us
    wall_us = max(cpu_us / cores, write_us if single_writer else 0.0)
    budget = goal_us * cores - decode_us - write_us
    if single_writer and write_us > goal_us:
        budget = min(budget, -(write_us - goal_us))
    return {
        "goal_us_per_fact": goal_us,
        "cores": cores,
        "single_writer": single_writer,
        "cpu_us_per_fact": cpu_us,
        "best_us_per_fact_all_cores": wall_us,
        "max_events_per_s_all_cores": 1e6 / wall_us if wall_us else None,
        "logic_budget_us_per_fact": budget,
        "reachable": wall_us <= goal_us,
    }
