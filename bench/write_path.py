"""Scenario 1: the write path on Kafka, and its ceilings measured the same way in the same run.

client (the gateway's exact bytes and key, produced by kafka-python with the gateway's producer settings)
-> ``lienthong.submissions`` -> ``lienthong decider`` (worker process, one per partition, with
decision lanes as docker-compose.yml runs it: bench.harness.DECIDER_LANES) -> ``lienthong.events`` |
``lienthong.rejections``. Throughput = submissions / time until every one of them is decided on the log.
The generator's rejections are part of the load.

Ceilings, same bytes, same partitions: kafka-python pass-through processes in place of the decider,
sending with its producer settings; Kafka's ProducerPerformance for the same record size. The exchange
and the kafka-python pipe are measured ``write_repeats`` times, alternately, and each keeps its best: on
2 shared cores either one alone moved by up to 20% between runs minutes apart.

Nothing measured runs on a cold broker or beside a profiler. One unmeasured pipe pass warms the broker
first (its JIT compiles on the same 2 cores; the first repetitions of a run used to be the slowest).
Each pair of repetitions takes turns at going first. The decider is profiled in one more repetition
after the measured ones, because py-spy takes CPU from the 2 cores it would be measuring.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any

from lienthong.bench import ceilings, data
from lienthong.bench.drive import drive_topic
from lienthong.bench.profiling import py_spy

log = logging.getLogger(__name__)


def warmup_bodies(seed: int, partitions: int) -> list[data.Body]:
    """Whole cases of another seed until every partition has at least one (partition by murmur2)."""
    from kafka.partitioner.default import murmur2

    bodies = data.submissions(400, seed=seed + 10_000)
    covered: set[int] = set()
    out: list[data.Body] = []
    for case_id in dict.fromkeys(b["case_id"] for _, b in bodies):
        covered.add((murmur2(case_id.encode()) & 0x7FFFFFFF) % partitions)
        out.extend(x for x in bodies if x[1]["case_id"] == case_id)
        if len(covered) == partitions:
            break
    return out


def run(harness: Any, cfg: Any) -> dict[str, Any]:
    broker = harness.kafka(**cfg.kafka_attach)
    n = cfg.write_submissions
    bodies = data.submissions(n, seed=cfg.seed)
    pairs = data.encoded_submissions(bodies)
    decided = list(data.decide_all(bodies))
    kinds = Counter(d.kind for d in decided)
    record_size = round(sum(len(v) for _, v in pairs) / len(pairs))
    agencies = data.agencies_of(bodies) | set(_kafka_agencies())
    out: dict[str, Any] = {
        "submissions": n,
        "expected_events": kinds["event"],
        "expected_rejections": kinds["rejection"],
        "rejection_share": kinds["rejection"] / max(1, n),
        "mean_submission_bytes": record_size,
        "runs": {},
        "errors": [],
    }
    load = _Load(harness, cfg, broker, agencies, pairs, kinds)
    for partitions in cfg.write_partitions:
        label = f"{partitions}p"
        run_: dict[str, Any] = {"partitions": partitions, "deciders": partitions}
        out["runs"][label] = run_
        try:
            if "broker_warmup_per_s" not in out:
                out["broker_warmup_per_s"] = load.warm_broker(partitions)
            exchanges: list[dict[str, Any]] = []
            pipes: list[dict[str, Any]] = []
            for rep in range(cfg.write_repeats):  # alternated, so a noisy minute hits both alike
                if rep % 2:
                    pipes.append(load.pipe(partitions))
                exchanges.append(load.exchange(partitions, rep, run_))
                if not rep % 2:
                    pipes.append(load.pipe(partitions))
            run_["exchange"] = _best(exchanges)
            run_["ceiling_kafka_python"] = _best(pipes)
            run_["samples_per_s"] = {
                "exchange": [r.get("per_s") for r in exchanges],
                "kafka_python": [r.get("per_s") for r in pipes],
            }
            try:
                run_["ceiling_producer_performance"] = ceilings.producer_performance(
                    broker,
                    harness.path("pp"),
                    records=max(n, cfg.pp_min_records),
                    record_size=record_size,
                    partitions=partitions,
                )
            except Exception as exc:  # the tools jar may be unreachable: report, keep the rest
                run_["ceiling_producer_performance"] = {"error": str(exc)[:2000]}
                out["errors"].append(f"{label}: ProducerPerformance: {str(exc)[:300]}")
            ex = run_["exchange"]["per_s"]
            kp = run_["ceiling_kafka_python"]["per_s"]
            pp = run_["ceiling_producer_performance"].get("records_per_s")
            run_["ratio_vs_kafka_python"] = ex / kp if kp else None
            run_["ratio_vs_producer_performance"] = ex / pp if pp else None
            for err in run_["exchange"]["errors"] + run_["ceiling_kafka_python"]["errors"]:
                out["errors"].append(f"{label}: {err}")
            if cfg.profile:  # last, and not counted: py-spy takes CPU from the cores being measured
                profiled = load.exchange(partitions, cfg.write_repeats, run_, profile=True)
                run_["profiled_exchange_per_s"] = profiled["per_s"]
                out["errors"] += [f"{label} (profiled repetition): {err}" for err in profiled["errors"]]
        except Exception as exc:
            log.exception("write path %s failed", label)
            out["errors"].append(f"{label}: {type(exc).__name__}: {exc}")
            run_["error"] = f"{type(exc).__name__}: {exc}"
    _domain_floor(out, pairs)
    return out


def _best(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest repetition, carrying every repetition's errors (throughput: best of, as the floors)."""
    best = max(results, key=lambda r: r.get("per_s") or 0.0)
    errors = [e for r in results for e in r.get("errors", [])]
    return {**best, "errors": errors, "repetitions": len(results)}


@dataclass
class _Load:
    """One run's broker, submissions and expectations: each repetition of the exchange or the pipe."""

    harness: Any
    cfg: Any
    broker: Any
    agencies: set[str]
    pairs: list
    kinds: Counter

    def warm_broker(self, partitions: int) -> float | None:
        """An unmeasured pipe pass on a freshly provisioned broker; its rate, for the report."""
        self.broker.reset(partitions, self.agencies)
        return self.pipe(partitions)["per_s"]

    def pipe(self, partitions: int) -> dict[str, Any]:
        return ceilings.kafka_python_pipe(
            self.harness, self.pairs, partitions=partitions, timeout=self.cfg.write_timeout
        )

    def exchange(
        self, partitions: int, rep: int, run_: dict[str, Any], *, profile: bool = False
    ) -> dict[str, Any]:
        """One run of the deciders on fresh topics (py-spy on the first decider if ``profile``)."""
        from lienthong.infra.kafka import EVENTS, REJECTIONS, SUBMISSIONS

        label = f"{partitions}p"
        self.broker.reset(partitions, self.agencies)
        env = self.harness.exchange_env(self.harness.path(f"write-{label}-{rep}"), "sqlite://", partitions)
        deciders = [
            self.harness.lienthong("decider", env, name=f"decider-{label}-{rep}-{i}")
            for i in range(partitions)
        ]
        warm = warmup_bodies(self.cfg.seed, partitions)
        warm_pairs = data.encoded_submissions(warm)
        warm_kinds = Counter(d.kind for d in data.decide_all(warm))
        profile_out = self.harness.path("profiles") / f"decider-{label}.txt"
        spy: dict[str, Any] = {}

        def profile_window(pid: int = deciders[0].pid, out_path=profile_out, spy=spy):
            return _capture(py_spy(pid, out_path), spy)

        try:
            result = drive_topic(
                self.broker,
                SUBMISSIONS,
                self.pairs,
                out_topics=[EVENTS, REJECTIONS],
                expected=sum(self.kinds.values()),
                timeout=self.cfg.write_timeout,
                warmup=[(k, v, None) for k, v in warm_pairs],
                warmup_expected=sum(warm_kinds.values()),
                workers=deciders,
                profile=profile_window if profile else None,
            )
            on_log: Counter = Counter()
            for (topic, _), offset in self.broker.end_offsets([EVENTS, REJECTIONS]).items():
                on_log[topic] += offset
            for topic, kind in ((EVENTS, "event"), (REJECTIONS, "rejection")):
                decided = on_log[topic] - warm_kinds[kind]
                if decided != self.kinds[kind]:
                    result["errors"].append(f"{kind}s on the log {decided} != expected {self.kinds[kind]}")
            if rep == 0:
                run_["deciders_memory"] = {
                    d.name: {"peak_rss": d.peak_rss, "cpu_s": d.cpu_s} for d in deciders
                }
            if spy:
                run_["profile_decider"] = spy
            return result
        finally:
            for d in deciders:
                d.stop()


def _domain_floor(out: dict[str, Any], pairs: list) -> None:
    """The in-process domain floor, and for one decider the best ratio it leaves (bench.write_floors)."""
    from lienthong.bench import write_floors

    try:
        floor = out["domain_floor"] = write_floors.domain_floor(pairs)
    except Exception as exc:
        log.exception("domain floor failed")
        out["domain_floor"] = {"error": f"{type(exc).__name__}: {exc}"}
        return
    one = out["runs"].get("1p") or {}
    out["bound_1p"] = write_floors.bound(
        _nested(one, "ceiling_kafka_python", "per_s"), floor["us_per_submission"]
    )


def _nested(d: dict[str, Any], *path: str) -> Any:
    for key in path:
        d = d.get(key) if isinstance(d, dict) else None
    return d


def _kafka_agencies() -> list[str]:
    from lienthong.agencies import default_registry

    return default_registry().kafka_agencies()


class _capture:
    """Wrap a profiling context manager and copy what it yields into ``target`` on exit."""

    def __init__(self, cm: Any, target: dict[str, Any]) -> None:
        self._cm = cm
        self._target = target
        self._value: dict[str, Any] | None = None

    def __enter__(self) -> None:
        self._value = self._cm.__enter__()

    def __exit__(self, *exc: object) -> None:
        self._cm.__exit__(*exc)
        if self._value is not None:
            self._target.update(self._value)
