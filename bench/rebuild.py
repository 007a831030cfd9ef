"""Scenario 2: rebuild (replay) of every read model from the log, on SQLite and on PostgreSQL.

The log is the embedded runtime's (made by the pure core, :mod:`lienthong.bench.eventlog_data`). A
rebuild is what the projectors do: read the log in batches, decode each record, ``Projector.apply``
(prefetch, the four views, upserts and the checkpoint in ONE transaction per batch), into a fresh
read-model database. Time is split into read / decode / apply. The ceiling is fastavro decoding the
same bytes with nothing else.

Experiments, alternated with the default on the same events: a larger batch, and SQLAlchemy's own
executemany upsert in place of ``projections/writes.py`` (driver executemany, COPY on PostgreSQL).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator
from typing import Any
from unittest import mock

from lienthong.bench import ceilings
from lienthong.bench.eventlog_data import SharedLog, shared_log
from lienthong.bench.profiling import pyinstrument_profile

log = logging.getLogger(__name__)
SOURCES = (("events", "event"), ("rejections", "rejection"))


def _source_prefix() -> str:
    from lienthong.runtime.embedded import SOURCE_PREFIX

    return SOURCE_PREFIX


def run_replay(shared: SharedLog, events: int, url: str, batch: int) -> dict[str, Any]:
    """Rebuild the read models at ``url`` from the first ``events`` events (+ their rejections)."""
    from lienthong.projections.facts import Fact
    from lienthong.projections.runner import Projector
    from lienthong.schemas import decode
    from lienthong.store import make_engine

    engine = make_engine(url)
    projector = Projector(engine)
    limits = {"events": events, "rejections": shared.rejections_for(events)}
    prefix = _source_prefix()
    t_read = t_decode = t_apply = 0.0
    applied = 0
    started = time.perf_counter()
    for source, kind in SOURCES:
        it = shared.chunks(source, limits[source], batch)
        while True:
            t0 = time.perf_counter()
            chunk = next(it, None)
            t1 = time.perf_counter()
            t_read += t1 - t0
            if chunk is None:
                break
            facts = [Fact(prefix + source, 0, s.position, kind, decode(s.data).record) for s in chunk]
            t2 = time.perf_counter()
            t_decode += t2 - t1
            applied += projector.apply(facts)
            t_apply += time.perf_counter() - t2
    total = time.perf_counter() - started
    engine.dispose()
    facts_n = limits["events"] + limits["rejections"]
    errors = [] if applied == facts_n else [f"applied {applied} facts, expected {facts_n}"]
    return {
        "events": limits["events"],
        "rejections": limits["rejections"],
        "facts": facts_n,
        "batch": batch,
        "seconds": round(total, 3),
        "events_per_s": facts_n / total if total else 0.0,
        "split_s": {"read": round(t_read, 3), "decode": round(t_decode, 3), "apply": round(t_apply, 3)},
        "us_per_fact": {
            "read": 1e6 * t_read / facts_n,
            "decode": 1e6 * t_decode / facts_n,
            "apply": 1e6 * t_apply / facts_n,
        },
        "errors": errors,
    }


def decode_ceiling(shared: SharedLog, events: int, batch: int = 5000) -> dict[str, Any]:
    """fastavro decode-only over the same bytes (read from the log outside the timed part)."""
    limits = {"events": events, "rejections": shared.rejections_for(events)}
    seconds = 0.0
    n = 0
    total_bytes = 0
    for source, _ in SOURCES:
        for chunk in shared.chunks(source, limits[source], batch):
            blobs = [s.data for s in chunk]
            r = ceilings.decode_ceiling(blobs)
            seconds += r["seconds"]
            n += len(blobs)
            total_bytes += sum(map(len, blobs))
    return {
        "facts": n,
        "seconds": round(seconds, 3),
        "events_per_s": n / seconds if seconds else 0.0,
        "mean_bytes": total_bytes / max(1, n),
        "tool": "fastavro.schemaless_reader",
    }


# --------------------------------------------------------------------------------------------------
# Experiments: the write path the projector had before projections/writes.py (measurement only)


def _sqlalchemy_upsert(conn: Any, table: Any, rows: list[dict]) -> None:
    """SQLAlchemy's own INSERT .. ON CONFLICT with executemany: every parameter processed per row."""
    from sqlalchemy.dialects import postgresql, sqlite

    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table)
    keys = [c.name for c in table.primary_key.columns]
    others = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
    conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=others), rows)


@contextlib.contextmanager
def sqlalchemy_upserts() -> Iterator[None]:
    from lienthong.projections import runner

    with mock.patch.object(runner, "_upsert", _sqlalchemy_upsert):
        yield


# --------------------------------------------------------------------------------------------------


def run(harness: Any, cfg: Any) -> dict[str, Any]:
    sizes = sorted(cfg.rebuild_sizes)
    prof_n = min(cfg.rebuild_profile_events, sizes[0])
    exp_n = min(cfg.rebuild_experiment_events, sizes[0])
    shared = shared_log(harness, cfg, [*sizes, prof_n, exp_n])
    out: dict[str, Any] = {
        "log": {
            "events": shared.events,
            "rejections": shared.rejections,
            "build_s": shared.build_s,
            "mean_event_bytes": round(shared.mean_event_bytes, 1),
            "made_by": "lienthong.domain.decide/evolve + Avro codec in process (bench.data.decide_all)",
        },
        "sizes": sizes,
        "ceiling_decode": {},
        "sqlite": {},
        "postgres": {},
        "experiments": {},
        "errors": [],
    }
    for size in sizes:
        out["ceiling_decode"][str(size)] = decode_ceiling(shared, size)
    stores: list[tuple[str, Any]] = [
        ("sqlite", lambda size, tag="": f"sqlite:///{harness.path('rebuild')}/rm-{size}{tag}.db")
    ]
    try:
        first_pg = harness.postgres_url(cfg.postgres_url)  # start (or reach) the server once, up front
        out["postgres_version"] = _server_version(first_pg)
        stores.append(("postgres", lambda size, tag="": harness.postgres_url(cfg.postgres_url)))
    except Exception as exc:
        log.exception("PostgreSQL unavailable")
        out["errors"].append(f"postgres: {type(exc).__name__}: {exc}")
    used: dict[str, str] = {}  # store -> the read models rebuilt at the largest size
    for store, url_for in stores:
        for size in sizes:
            try:
                used[store] = url = url_for(size)
                r = run_replay(shared, size, url, cfg.rebuild_batch)
                ceiling = out["ceiling_decode"][str(size)]["events_per_s"]
                r["ratio_vs_decode"] = r["events_per_s"] / ceiling if ceiling else None
                out[store][str(size)] = r
                out["errors"].extend(f"{store} {size}: {e}" for e in r["errors"])
            except Exception as exc:
                log.exception("rebuild %s %d failed", store, size)
                out["errors"].append(f"{store} {size}: {type(exc).__name__}: {exc}")
    out["floors"] = _floors(harness, shared, sizes[-1], used, out)
    # Experiments: each variant against the default, alternated and best-of-REPS (a noisy machine).
    for store, url_for in stores:
        try:
            out["experiments"][store] = _experiments(shared, exp_n, store, url_for, cfg.rebuild_batch)
        except Exception as exc:
            log.exception("rebuild experiments on %s failed", store)
            out["experiments"][store] = {"error": f"{type(exc).__name__}: {exc}"}
    # Where the time goes: pyinstrument over a slice, on each store.
    if cfg.profile:
        for store, url_for in stores:
            try:
                out.setdefault("profiles", {})[store] = pyinstrument_profile(
                    lambda store=store, url_for=url_for: run_replay(
                        shared, prof_n, url_for(prof_n, "-prof"), cfg.rebuild_batch
                    ),
                    harness.path("profiles") / f"rebuild-{store}.txt",
                )
            except Exception as exc:
                out.setdefault("profiles", {})[store] = {"error": str(exc)}
    return out


REPS = 2


def _floors(harness: Any, shared: SharedLog, size: int, used: dict[str, str], out: dict) -> dict[str, Any]:
    """Write and logic floors at the largest size, and the best rates they allow on each store."""
    from lienthong.bench import rebuild_floors as rf

    floors: dict[str, Any] = {"events": size}
    try:
        floors["logic"] = rf.logic_floor(shared, size)
    except Exception as exc:
        log.exception("logic floor failed")
        floors["logic"] = {"error": f"{type(exc).__name__}: {exc}"}
    decode = out["ceiling_decode"][str(size)]
    decode_us = 1e6 * decode["seconds"] / max(1, decode["facts"])
    logic_us = floors["logic"].get("us_per_fact")
    for store, url in used.items():
        try:
            rows = rf.read_models(url)
            if store == "sqlite":
                w = rf.write_floor_sqlite(rows, harness.path("rebuild") / f"floor-{size}.db")
            else:
                w = rf.write_floor_postgres(rows, url)
            w["us_per_fact"] = 1e6 * w["seconds"] / max(1, decode["facts"])
            w["rows_per_fact"] = w["rows"] / max(1, decode["facts"])
            floors[store] = {"write": w, **rf.bounds(decode_us, w["us_per_fact"], logic_us)}
            if logic_us is not None:
                floors[store]["reach"] = rf.reach(
                    _goal_us_per_fact(store, decode_us),
                    decode_us,
                    w["us_per_fact"],
                    logic_us,
                    cores=len(os.sched_getaffinity(0)),
                    single_writer=store == "sqlite",
                )
        except Exception as exc:
            log.exception("write floor on %s failed", store)
            floors[store] = {"error": f"{type(exc).__name__}: {exc}"}
    return floors


def _goal_us_per_fact(store: str, decode_us: float) -> float:
    """The issue's rebuild goal for ``store`` as wall µs per fact (report.GOALS holds the targets)."""
    from lienthong.bench.report import GOALS, REBUILD_GOAL_OF_STORE

    target = GOALS[REBUILD_GOAL_OF_STORE[store]][1]
    # SQLite's goal is a share of the decode ceiling; PostgreSQL's a rate.
    return decode_us / target if store == "sqlite" else 1e6 / target


def _experiments(shared: SharedLog, n: int, store: str, url_for: Any, batch: int) -> dict[str, Any]:
    big = batch * 5
    variants: dict[str, tuple[Any, int]] = {
        f"batch_{big}": (contextlib.nullcontext, big),
        "sqlalchemy_executemany": (sqlalchemy_upserts, batch),
    }
    best: dict[str, dict[str, Any]] = {}
    runs = 0
    for _ in range(REPS):
        for name, (ctx, b) in [("default", (contextlib.nullcontext, batch)), *variants.items()]:
            runs += 1
            with ctx():
                r = _brief(run_replay(shared, n, url_for(n, f"-x{runs}"), b))
            if name not in best or r["events_per_s"] > best[name]["events_per_s"]:
                best[name] = r
    base = best["default"]["events_per_s"]
    for r in best.values():
        r["speedup_vs_default"] = r["events_per_s"] / base if base else None
    return {"events": n, "reps": REPS, "method": "alternated, best of reps", **best}


def _server_version(url: str) -> str | None:
    from sqlalchemy import text

    from lienthong.store import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SHOW server_version")).scalar()
    finally:
        engine.dispose()


def _brief(r: dict[str, Any]) -> dict[str, Any]:
    return {k: r[k] for k in ("facts", "batch", "seconds", "events_per_s", "split_s", "errors")}
