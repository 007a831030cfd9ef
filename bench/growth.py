"""Scenario 5: how cost grows with the log. Peak RSS of decider and projector, and rebuild time, per size.

At each size S (events; the log is the shared one made by the pure core, rejections included) the
Kafka topics are filled up to S, then:

* projector: a ``lienthong projector`` process on a fresh SQLite read-model database replays the topics
  from the start. Rebuild time per event is taken between its first and last checkpoint (process
  start-up excluded); peak RSS is its VmHWM at the end.
* decider: a fresh ``lienthong decider`` process joins its group; once the group is stable a few new
  submissions arrive, and the decider rebuilds every partition's case state from the events and
  rejections topics before deciding them. Time from those submissions to their decisions is the state
  rebuild; peak RSS is its VmHWM afterwards.

Flat cost per event: time per event at the largest size divided by time per event at the smallest
(1.0 = flat), and the memory added per event between consecutive sizes.

Where the projector's time per event grows, two floors at each size say which part grows: the views'
logic alone (every fact through every view in memory) and storage alone (the projector's final rows
bulk-inserted into a fresh file with the same indexes), both per fact.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from typing import Any

from lienthong.bench import data
from lienthong.bench.drive import bench_producer
from lienthong.bench.eventlog_data import shared_log
from lienthong.bench.harness import EndOffsets, Harness, sampling, wait_until

log = logging.getLogger(__name__)
PARTITIONS = 2


def _fill(broker: Any, shared: Any, frm: tuple[int, int], to: tuple[int, int]) -> float:
    """Append events (frm[0], to[0]] and rejections (frm[1], to[1]] as the decider writes them."""
    from lienthong.infra.kafka import EVENTS, REJECTIONS

    producer = bench_producer(broker)
    started = time.perf_counter()
    try:
        for rows in shared.keyed("events", frm[0], to[0]):
            for _, case_id, value, event_type, event_id in rows:
                producer.send(
                    EVENTS,
                    key=case_id.encode(),
                    value=value,
                    headers=[("event_type", event_type.encode()), ("event_id", event_id.encode())],
                )
        for rows in shared.keyed("rejections", frm[1], to[1]):
            for _, case_id, value in rows:
                producer.send(REJECTIONS, key=case_id.encode(), value=value)
        producer.flush()
    finally:
        producer.close(timeout=10)
    return time.perf_counter() - started


def _checkpointed(db: str) -> int:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return 0
    try:
        row = conn.execute('SELECT COALESCE(SUM("offset" + 1), 0) FROM projector_checkpoints').fetchone()
        return int(row[0])
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


def _projector(harness: Harness, cfg: Any, size: int, facts: int) -> dict[str, Any]:
    from lienthong.projections.runner import Projector
    from lienthong.store import make_engine

    db = harness.path("growth") / f"rm-{size}.db"
    engine = make_engine(f"sqlite:///{db}")
    group = f"lienthong-projector-{Projector(engine).generation[:12]}"  # as the worker will name it
    engine.dispose()
    env = harness.exchange_env(harness.path(f"growth-p-{size}"), f"sqlite:///{db}", PARTITIONS)
    started = time.monotonic()
    worker = harness.lienthong("projector", env, name=f"growth-projector-{size}")
    series: list[tuple[float, int]] = []
    assigned: list[float] = []
    with sampling([worker]):

        def done() -> bool:
            worker.check_alive()
            n = _checkpointed(str(db))
            if n and (not series or series[-1][1] != n):
                series.append((time.monotonic(), n))
            if not assigned and not n:
                try:
                    if _group_stable(harness.broker, group):
                        assigned.append(time.monotonic())
                except Exception:
                    pass
            return n >= facts

        wait_until(done, cfg.growth_timeout, f"projector replay of {facts} facts", 0.05)
    worker.stop()
    first, last = series[0], series[-1]
    if len(series) >= 3:
        # Between the first and the last checkpoint: start-up and the first batch excluded.
        method, span, counted = "first to last checkpoint", last[0] - first[0], last[1] - first[1]
    else:
        # Too few batches to see several checkpoints: from the group's assignment to the last one.
        t0 = assigned[0] if assigned else started
        method, span, counted = "group assigned to last checkpoint", last[0] - t0, last[1]
    rate = counted / span if span > 0 else None
    return {
        "facts": facts,
        "checkpoints_seen": len(series),
        "method": method,
        "wall_s": round(last[0] - started, 3),
        "replay_s": round(span, 3),
        "events_per_s": rate,
        "us_per_event": 1e6 / rate if rate else None,
        "peak_rss": worker.peak_rss,
        "cpu_s": worker.cpu_s,
    }


def _floors(harness: Harness, shared: Any, size: int, facts: int) -> dict[str, Any]:
    """The logic and storage floors per fact at this size (see the module's docstring)."""
    from lienthong.bench.rebuild_floors import logic_floor, read_models, write_floor_sqlite

    db = harness.path("growth") / f"rm-{size}.db"
    rows = read_models(f"sqlite:///{db}")
    write = write_floor_sqlite(rows, harness.path("growth-floors") / f"floor-{size}.db")
    del rows
    logic_floor(shared, min(shared.cutoffs))  # warm: module-level memos and first-use imports
    logic = logic_floor(shared, size)
    return {
        "logic_us_per_fact": logic["us_per_fact"],
        "write_us_per_fact": 1e6 * write["seconds"] / max(1, facts),
        "rows": write["rows"],
    }


def _group_stable(broker: Any, group: str) -> bool:
    from lienthong.infra.kafka import admin_client

    with admin_client(broker.settings) as admin:
        info = admin.describe_groups([group]).get(group) or {}
    state = info.get("group_state", info.get("state"))
    return state == "Stable" and len(info.get("members") or []) >= 1


def _decider(harness: Harness, cfg: Any, size: int) -> dict[str, Any]:
    from lienthong.bench.write_path import warmup_bodies
    from lienthong.infra.kafka import EVENTS, REJECTIONS, SUBMISSIONS
    from lienthong.runtime.kafka.decider import APP_ID

    broker = harness.broker
    env = harness.exchange_env(harness.path(f"growth-d-{size}"), "sqlite://", PARTITIONS)
    worker = harness.lienthong("decider", env, name=f"growth-decider-{size}")
    with sampling([worker]):

        def stable() -> bool:
            worker.check_alive()
            try:
                return _group_stable(broker, APP_ID)
            except Exception:
                return False

        wait_until(stable, 120, "decider group stable", 0.2)
        trigger = warmup_bodies(cfg.seed + 500 + size, PARTITIONS)
        want = sum(1 for _ in data.decide_all(trigger))
        watch = EndOffsets(broker, [EVENTS, REJECTIONS])
        base = watch.total()
        producer = bench_producer(broker)
        started = time.monotonic()
        for key, value in data.encoded_submissions(trigger):
            producer.send(SUBMISSIONS, key=key, value=value)
        producer.flush()
        producer.close(timeout=10)

        def decided() -> bool:
            worker.check_alive()
            return watch.total() - base >= want

        try:
            wait_until(decided, cfg.growth_timeout, "decider state rebuild + decisions", 0.05)
            rebuild_s = time.monotonic() - started
        finally:
            watch.close()
    worker.stop()
    return {
        "state_rebuild_s": round(rebuild_s, 3),
        "peak_rss": worker.peak_rss,
        "cpu_s": worker.cpu_s,
        "trigger_submissions": len(trigger),
    }


def run(harness: Harness, cfg: Any) -> dict[str, Any]:
    from lienthong.bench.write_path import _kafka_agencies

    sizes = sorted(cfg.growth_sizes)
    shared = shared_log(harness, cfg, sizes)
    broker = harness.kafka(**cfg.kafka_attach)
    trig_agencies: set[str] = set()
    for size in sizes:
        from lienthong.bench.write_path import warmup_bodies

        trig_agencies |= data.agencies_of(warmup_bodies(cfg.seed + 500 + size, PARTITIONS))
    broker.reset(PARTITIONS, set(_kafka_agencies()) | trig_agencies)
    out: dict[str, Any] = {"sizes": sizes, "partitions": PARTITIONS, "by_size": {}, "errors": []}
    have = (0, 0)
    for size in sizes:
        row: dict[str, Any] = {}
        out["by_size"][str(size)] = row
        try:
            to = (size, shared.rejections_for(size))
            row["fill_s"] = round(_fill(broker, shared, have, to), 3)
            have = to
            row["events"], row["rejections"] = to
            row["projector"] = _projector(harness, cfg, size, to[0] + to[1])
            row["floors"] = _floors(harness, shared, size, to[0] + to[1])
            row["decider"] = _decider(harness, cfg, size)
        except Exception as exc:
            log.exception("growth at %d failed", size)
            out["errors"].append(f"{size}: {type(exc).__name__}: {exc}")
            row["error"] = f"{type(exc).__name__}: {exc}"
            break
    out["growth"] = _growth(out["by_size"], sizes)
    return out


def _growth(by_size: dict[str, Any], sizes: list[int]) -> dict[str, Any]:
    ok = [s for s in sizes if "projector" in by_size.get(str(s), {}) and "decider" in by_size[str(s)]]
    if len(ok) < 2:
        return {}
    lo, hi = ok[0], ok[-1]
    a, b = by_size[str(lo)], by_size[str(hi)]
    out: dict[str, Any] = {"from": lo, "to": hi}
    if a["projector"]["us_per_event"] and b["projector"]["us_per_event"]:
        out["projector_time_per_event"] = b["projector"]["us_per_event"] / a["projector"]["us_per_event"]
    # The decider's rebuild has a fixed part (consumer start, SASL login, the trigger's own decisions),
    # so its per-event cost is the marginal one between consecutive sizes.
    segments: dict[str, list[dict[str, Any]]] = {"projector": [], "decider": [], "decider_time": []}
    for s1, s2 in zip(ok, ok[1:], strict=False):
        r1, r2 = by_size[str(s1)], by_size[str(s2)]
        d = (r2["events"] + r2["rejections"]) - (r1["events"] + r1["rejections"])
        for worker in ("projector", "decider"):
            segments[worker].append(
                {
                    "from": s1,
                    "to": s2,
                    "bytes_per_event": (r2[worker]["peak_rss"] - r1[worker]["peak_rss"]) / d,
                }
            )
        dt = r2["decider"]["state_rebuild_s"] - r1["decider"]["state_rebuild_s"]
        segments["decider_time"].append({"from": s1, "to": s2, "us_per_event": 1e6 * dt / d})
    out["memory_slopes"] = {k: segments[k] for k in ("projector", "decider")}
    for floor in ("logic", "write"):
        f1, f2 = (by_size[str(x)].get("floors", {}).get(f"{floor}_us_per_fact") for x in (lo, hi))
        if f1 and f2:
            out[f"{floor}_floor_time_per_event"] = f2 / f1
    out["decider_marginal_rebuild"] = segments["decider_time"]
    times = [x["us_per_event"] for x in segments["decider_time"]]
    if len(times) >= 2 and times[0] > 0:
        out["decider_rebuild_time_per_event"] = times[-1] / times[0]
    for worker in ("projector", "decider"):
        seg = [x["bytes_per_event"] for x in segments[worker]]
        if len(seg) >= 2 and seg[0] > 0:
            out[f"{worker}_memory_per_event"] = seg[-1] / seg[0]
    return out
