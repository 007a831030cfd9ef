"""Scenario 3: end-to-end latency at a fixed offered load, on both runtimes.

From the gateway's acceptance (its HTTP answer: 202 on Kafka once the submission is durably on the
topic, 201/409/422 on the embedded runtime once decided) to the outcome being visible through the read
API, p50/p95/p99, at each offered rate (open loop). Also reported: send -> visible (from the scheduled
send time) and the gateway's own answer time. Errors: HTTP errors, submissions never visible,
and outcomes that differ from the pure core's decision for the same history.

Kafka runtime: ``lienthong gateway`` + ``decider`` + ``projector`` processes, 2 partitions, read models
on SQLite. Embedded: ``lienthong serve``. Floor beside it: kafka-python produce -> consume of the same
bytes at the same rate.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any

from lienthong.bench import ceilings, data, http_load
from lienthong.bench.harness import Harness
from lienthong.bench.profiling import py_spy
from lienthong.bench.stats import summary_ms

log = logging.getLogger(__name__)
PARTITIONS = 2
SAMPLE_READS = 20


def _measure(
    url: str,
    keys: dict[str, str],
    poller: http_load.VisibilityPoller,
    seq: list[data.Body],
    rate: int,
    drain: float,
    workers: list[Any],
) -> dict[str, Any]:
    expected = {d.submission_id: d.kind for d in data.decide_all(seq)}
    recs, overloaded_at = http_load.open_loop(url, keys, seq, rate, timeout=max(30.0, drain))
    deadline = time.monotonic() + drain
    wanted = [r for r in recs if r.error is None]
    while time.monotonic() < deadline and any(r.submission_id not in poller.seen for r in wanted):
        for w in workers:
            w.check_alive()
        time.sleep(0.05)
    accept_to_visible: list[float] = []
    send_to_visible: list[float] = []
    answer: list[float] = []
    lag: list[float] = []
    errors: Counter[str] = Counter()
    examples: list[str] = []
    mismatches = 0
    for r in recs:
        lag.append(max(0.0, r.started - r.scheduled))
        if r.error is not None:
            errors["http"] += 1
            if len(examples) < 5:
                examples.append(r.error)
            continue
        answer.append(r.answered - r.scheduled)
        seen = poller.seen.get(r.submission_id)
        if seen is None:
            errors["not_visible"] += 1
            continue
        accept_to_visible.append(max(0.0, seen - r.answered))
        send_to_visible.append(seen - r.scheduled)
        want = "accepted" if expected.get(r.submission_id) == "event" else "rejected"
        if r.outcome in ("accepted", "rejected") and r.outcome != want:
            mismatches += 1
    span = max(r.started for r in recs) - min(r.scheduled for r in recs)
    sent = seq[: len(recs)]
    sample = sent[:: max(1, len(sent) // SAMPLE_READS)][:SAMPLE_READS]
    read_api_errors = http_load.check_read_api(url, keys, sample)
    return {
        "offered_per_s": rate,
        "submissions": len(recs),
        "planned_submissions": len(seq),
        "overloaded": overloaded_at is not None,
        "overloaded_after_s": round(overloaded_at / rate, 2) if overloaded_at is not None else None,
        "achieved_send_per_s": len(recs) / span if span > 0 else None,
        "answered_per_s": _answered_rate(recs),
        "accept_to_visible_ms": summary_ms(accept_to_visible),
        "send_to_visible_ms": summary_ms(send_to_visible),
        "gateway_answer_ms": summary_ms(answer),
        "client_send_lag_ms": summary_ms(lag),
        "errors": dict(errors),
        "error_examples": examples,
        "error_count": sum(errors.values()) + len(read_api_errors),
        "outcome_mismatches": mismatches,
        "read_api_sample": {"checked": len(sample), "errors": read_api_errors[:5]},
        "poll_interval_ms": http_load.POLL_S * 1000,
        "_raw": {"accept_to_visible": accept_to_visible, "send_to_visible": send_to_visible},
    }


def _answered_rate(recs: list[Any]) -> float | None:
    done = [r.answered for r in recs if r.answered]
    if len(done) < 2:
        return None
    start = min(r.scheduled for r in recs)
    return len(done) / (max(done) - start) if max(done) > start else None


def _warm(url: str, keys: dict[str, str], poller: http_load.VisibilityPoller, seed: int) -> None:
    """Whole cases on every partition, one at a time, until visible: workers assigned, state built."""
    from lienthong.bench.write_path import warmup_bodies

    warm = warmup_bodies(seed + 77, PARTITIONS)
    http_load.closed_loop(url, keys, warm, 1)
    deadline = time.monotonic() + 180
    while any(b["submission_id"] not in poller.seen for _, b in warm):
        if time.monotonic() > deadline:
            raise TimeoutError("warm-up submissions never became visible")
        time.sleep(0.05)


def _sequences(cfg: Any) -> dict[int, list[data.Body]]:
    return {
        rate: data.interleave(
            data.submissions(int(rate * cfg.latency_seconds), seed=cfg.seed + 1000 + rate), width=2 * rate
        )
        for rate in cfg.latency_rates
    }


def run_kafka(harness: Harness, cfg: Any, seqs: dict[int, list[data.Body]]) -> dict[str, Any]:
    broker = harness.kafka(**cfg.kafka_attach)
    from lienthong.bench.write_path import _kafka_agencies

    agencies = set(_kafka_agencies())
    for seq in seqs.values():
        agencies |= data.agencies_of(seq)
    broker.reset(PARTITIONS, agencies)
    keys = http_load.agency_keys(agencies)
    data_dir = harness.path("latency-kafka")
    db = data_dir / "readmodels.db"
    env = harness.exchange_env(
        data_dir, f"sqlite:///{db}", PARTITIONS, LIENTHONG_AGENCY_KEYS=http_load.keys_env(keys)
    )
    decider = harness.lienthong("decider", env, name="latency-decider")
    projector = harness.lienthong("projector", env, name="latency-projector")
    gateway, url = http_load.start_server(harness, "gateway", env, "latency-gateway")
    workers = [decider, projector, gateway]
    poller = http_load.VisibilityPoller(db)
    poller.start()
    out: dict[str, Any] = {"partitions": PARTITIONS, "read_models": "sqlite", "rates": {}}
    try:
        _warm(url, keys, poller, cfg.seed)
        for i, (rate, seq) in enumerate(seqs.items()):
            if cfg.profile and i == 0:  # where the gateway's time goes at the goal's rate
                with py_spy(gateway.pid, harness.path("profiles") / f"gateway-{rate}.txt") as spy:
                    measured = _measure(url, keys, poller, seq, rate, cfg.latency_drain, workers)
                out["profile_gateway"] = {"rate": rate, **spy}
            else:
                measured = _measure(url, keys, poller, seq, rate, cfg.latency_drain, workers)
            out["rates"][str(rate)] = measured
    finally:
        poller.stop()
        for w in workers:
            w.stop()
    out["workers"] = {w.name: {"peak_rss": w.peak_rss, "cpu_s": w.cpu_s} for w in workers}
    return out


def run_embedded(harness: Harness, cfg: Any, seqs: dict[int, list[data.Body]]) -> dict[str, Any]:
    from lienthong.bench.harness import embedded_env

    agencies: set[str] = set()
    for seq in seqs.values():
        agencies |= data.agencies_of(seq)
    keys = http_load.agency_keys(agencies)
    data_dir = harness.path("latency-embedded")
    env = embedded_env(data_dir, LIENTHONG_AGENCY_KEYS=http_load.keys_env(keys))
    server, url = http_load.start_server(harness, "serve", env, "latency-serve")
    poller = http_load.VisibilityPoller(data_dir / "readmodels.db")
    poller.start()
    out: dict[str, Any] = {"read_models": "sqlite", "log": "sqlite", "rates": {}}
    try:
        for rate, seq in seqs.items():
            out["rates"][str(rate)] = _measure(url, keys, poller, seq, rate, cfg.latency_drain, [server])
    finally:
        poller.stop()
        server.stop()
    out["workers"] = {server.name: {"peak_rss": server.peak_rss, "cpu_s": server.cpu_s}}
    return out


def run(harness: Harness, cfg: Any) -> dict[str, Any]:
    seqs = _sequences(cfg)
    out: dict[str, Any] = {"rates": list(cfg.latency_rates), "seconds": cfg.latency_seconds, "errors": []}
    for name, fn in (("kafka", run_kafka), ("embedded", run_embedded)):
        try:
            out[name] = fn(harness, cfg, seqs)
            for rate, r in out[name]["rates"].items():
                if r["overloaded"]:
                    out["errors"].append(
                        f"{name} at {rate}/s: overloaded after {r['overloaded_after_s']} s "
                        f"(answered {r['answered_per_s'] or 0:.0f}/s); sending stopped"
                    )
                if r["error_count"]:
                    out["errors"].append(
                        f"{name} at {rate}/s: {r['errors']} {r['read_api_sample']['errors']}"
                    )
        except Exception as exc:
            log.exception("latency on %s failed", name)
            out["errors"].append(f"{name}: {type(exc).__name__}: {exc}")
    try:
        broker = harness.kafka(**cfg.kafka_attach)
        value = data.encoded_submissions(data.submissions(1, seed=cfg.seed))[0][1]
        out["floor_kafka"] = {
            str(rate): ceilings.kafka_latency_floor(
                broker, value, rate=rate, seconds=min(cfg.latency_seconds, 10.0)
            )
            for rate in cfg.latency_rates
        }
    except Exception as exc:
        log.exception("latency floor failed")
        out["errors"].append(f"floor: {type(exc).__name__}: {exc}")
    return out
