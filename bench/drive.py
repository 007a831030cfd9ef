"""Feeding a topic as fast as the client can, and watching a pipeline's output topics fill up.

The write path and its kafka-python ceiling are measured by this one function, so their ratio compares
only what differs between them (the decider versus a pass-through).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from lienthong.bench.harness import EndOffsets, Worker, sampling, wait_until


def bench_producer(broker: Any) -> Any:
    """kafka-python with the exchange's producer settings (idempotent, acks=all, linger 5 ms)."""
    from kafka import KafkaProducer

    from lienthong.runtime.kafka.clients import DELIVERY_TIMEOUT_MS

    return KafkaProducer(
        **broker.exchange_config(),
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        delivery_timeout_ms=DELIVERY_TIMEOUT_MS,
        max_block_ms=DELIVERY_TIMEOUT_MS,
        client_id="lienthong-bench",
    )


def drive_topic(
    broker: Any,
    topic: str,
    pairs: Sequence[tuple[bytes, bytes]],
    *,
    out_topics: list[str],
    expected: int,
    timeout: float,
    warmup: Sequence[tuple[bytes, bytes, int | None]] = (),
    warmup_expected: int | None = None,
    workers: Sequence[Worker] = (),
    profile: Any = None,
) -> dict[str, Any]:
    """Produce ``pairs`` to ``topic``; time until ``expected`` new records are on ``out_topics``.

    ``warmup`` records go first and are waited for (workers started, partitions assigned, state
    rebuilt), outside the timed window. ``profile`` is an optional context manager factory run around
    the timed window (py-spy on a worker).
    """
    producer = bench_producer(broker)
    errors: list[str] = []
    try:
        wait_until(lambda: _partitions_known(producer, topic), 60, f"metadata of {topic}")
        watch = EndOffsets(broker, out_topics)
        try:
            base = watch.total()
            if warmup:
                for key, value, partition in warmup:
                    producer.send(topic, key=key, value=value, partition=partition)
                producer.flush()
                want = base + (len(warmup) if warmup_expected is None else warmup_expected)

                def warmed() -> bool:
                    for w in workers:
                        w.check_alive()
                    return watch.total() >= want

                wait_until(warmed, 180, "warm-up records through the pipeline", 0.1)
                base = watch.total()
            series: list[tuple[float, int]] = []
            done = threading.Event()
            failures = 0
            lock = threading.Lock()

            def on_error(exc: BaseException) -> None:
                nonlocal failures
                with lock:
                    failures += 1
                    if len(errors) < 5:
                        errors.append(f"produce failed: {type(exc).__name__}: {exc}")

            with sampling(list(workers)), profile() if profile else _null():
                started = time.perf_counter()

                def watcher() -> None:
                    while not done.is_set():
                        n = watch.total() - base
                        series.append((time.perf_counter() - started, n))
                        if n >= expected:
                            done.set()
                            return
                        for w in workers:
                            if not w.alive():
                                errors.append(f"{w.name} exited with {w.proc.returncode if w.proc else '?'}")
                                done.set()
                                return
                        time.sleep(0.05)

                thread = threading.Thread(target=watcher, daemon=True)
                thread.start()
                for key, value in pairs:
                    producer.send(topic, key=key, value=value).add_errback(on_error)
                producer.flush()
                produced = time.perf_counter() - started
                if not done.wait(timeout):
                    errors.append(
                        f"timeout: {series[-1][1] if series else 0} of {expected} after {timeout:.0f}s"
                    )
                done.set()
                thread.join(timeout=5)
                elapsed = series[-1][0] if series else time.perf_counter() - started
            decided = series[-1][1] if series else 0
        finally:
            watch.close()
    finally:
        producer.close(timeout=10)
    if failures:
        errors.append(f"{failures} records could not be produced")
    return {
        "records": len(pairs),
        "expected_out": expected,
        "out": decided,
        "produce_s": round(produced, 3),
        "intake_per_s": len(pairs) / produced if produced else 0.0,
        "seconds": round(elapsed, 3),
        "per_s": len(pairs) / elapsed if elapsed and decided >= expected else 0.0,
        "sustained_per_s": _sustained(series, expected),
        "series": [(round(t, 3), n) for t, n in series],
        "errors": errors,
    }


def _sustained(series: list[tuple[float, int]], expected: int) -> float:
    """Output rate between 10% and 90% of the expected records (start-up and tail excluded)."""
    lo = next(((t, n) for t, n in series if n >= 0.1 * expected), None)
    hi = next(((t, n) for t, n in series if n >= 0.9 * expected), None)
    if lo is None or hi is None or hi[0] <= lo[0]:
        return 0.0
    return (hi[1] - lo[1]) / (hi[0] - lo[0])


def _partitions_known(producer: Any, topic: str) -> bool:
    return bool(producer.partitions_for(topic))


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
