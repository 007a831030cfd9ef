"""Ceilings measured in the same run, on the same machine, as the figures they bound.

* :func:`kafka_python_pipe`: kafka-python producing the same Avro bytes to a topic, a pass-through
  process (kafka-python consumer -> producer, one per partition, no domain logic) copying them to a
  second topic, measured exactly like the decider's write path.
* :func:`producer_performance`: Kafka's own ``org.apache.kafka.tools.ProducerPerformance`` for the same
  record size and producer settings (acks=all, idempotent, linger 5 ms).
* :func:`decode_ceiling`: fastavro decoding the same event bytes, nothing else.

Run as ``python -m lienthong.bench.ceilings passthrough ...`` for the pass-through worker.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

TOOLS_VERSION = "4.3.1"  # newest org.apache.kafka:kafka-tools on Maven Central (4.4.0 is not published)
TOOLS_POM = Path(__file__).resolve().parents[1] / "infra" / "kafka" / "tools-pom.xml"
PIPE_IN = "lienthong.bench-in"
PIPE_OUT = "lienthong.bench-out"
PP_TOPIC = "lienthong.bench-pp"


# --------------------------------------------------------------------------------------------------
# Kafka's ProducerPerformance


def ensure_tools(cache_dir: Path, version: str = TOOLS_VERSION) -> Path:
    """The kafka-tools classpath in ``<cache>/kafka-tools-<ver>/libs`` (fetched with Maven once)."""
    from lienthong.infra.kafka.broker import _flock

    libs = cache_dir / f"kafka-tools-{version}" / "libs"
    marker = libs / ".complete"
    if marker.exists():
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError(f"kafka-tools jars are not cached in {libs} and Maven ('mvn') is not on PATH")
    libs.parent.mkdir(parents=True, exist_ok=True)
    with _flock(libs.parent / ".fetch.lock"):
        if marker.exists():
            return libs
        tmp = libs.parent / f"libs.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        cmd = [
            mvn,
            "-q",
            "-B",
            "-f",
            str(TOOLS_POM),
            f"-Dmaven.repo.local={cache_dir / 'm2'}",
            f"-Dkafka.tools.version={version}",
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={tmp}",
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False)
        if proc.returncode != 0 or not (tmp / f"kafka-tools-{version}.jar").exists():
            shutil.rmtree(tmp, ignore_errors=True)
            tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-20:])
            raise RuntimeError(f"Maven could not fetch kafka-tools {version}: {' '.join(cmd)}\n{tail}")
        (tmp / ".complete").write_text("\n".join(sorted(p.name for p in tmp.glob("*.jar"))) + "\n")
        shutil.rmtree(libs, ignore_errors=True)
        os.replace(tmp, libs)
    return libs


_PP_FINAL = re.compile(
    r"(?P<records>\d+) records sent, (?P<rps>[\d.]+) records/sec \((?P<mbps>[\d.]+) MB/sec\), "
    r"(?P<avg>[\d.]+) ms avg latency, (?P<max>[\d.]+) ms max latency"
    r"(?:, (?P<p50>\d+) ms 50th, (?P<p95>\d+) ms 95th, (?P<p99>\d+) ms 99th, (?P<p999>\d+) ms 99.9th)?"
)


def producer_performance(
    broker: Any, workdir: Path, *, records: int, record_size: int, partitions: int
) -> dict[str, Any]:
    """Run ProducerPerformance as the admin user against ``broker``; parse its final line."""
    libs = ensure_tools(broker.settings.cache_dir)
    broker.create_topic(PP_TOPIC, partitions)
    props = workdir / "producer-performance.properties"
    password = broker.admin_password()
    fd = os.open(props, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(
            f"bootstrap.servers={broker.bootstrap}\n"
            "security.protocol=SASL_PLAINTEXT\n"
            "sasl.mechanism=SCRAM-SHA-512\n"
            "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="admin" password="{password}";\n'
            "acks=all\nenable.idempotence=true\nlinger.ms=5\n"
        )
    cmd = [
        shutil.which("java") or "java",
        "-Xmx256m",
        "-XX:+UseG1GC",
        "-cp",
        f"{libs}/*",
        "org.apache.kafka.tools.ProducerPerformance",
        "--topic",
        PP_TOPIC,
        "--num-records",
        str(records),
        "--record-size",
        str(record_size),
        "--throughput",
        "-1",
        "--producer.config",
        str(props),
    ]
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
    wall = time.monotonic() - started
    found = None
    for line in proc.stdout.splitlines():
        m = _PP_FINAL.search(line)
        if m:
            found = m
    if proc.returncode != 0 or found is None:
        tail = "\n".join((proc.stdout + proc.stderr).replace(password, "***").splitlines()[-15:])
        raise RuntimeError(f"ProducerPerformance failed (exit {proc.returncode}):\n{tail}")
    out: dict[str, Any] = {
        "tool": f"org.apache.kafka.tools.ProducerPerformance (kafka-tools {TOOLS_VERSION})",
        "records": int(found["records"]),
        "record_size": record_size,
        "records_per_s": float(found["rps"]),
        "mb_per_s": float(found["mbps"]),
        "avg_latency_ms": float(found["avg"]),
        "max_latency_ms": float(found["max"]),
        "wall_s": round(wall, 2),
        "settings": "acks=all, enable.idempotence=true, linger.ms=5, SASL_PLAINTEXT/SCRAM-SHA-512",
    }
    for key in ("p50", "p95", "p99", "p999"):
        if found[key] is not None:
            out[f"{key}_latency_ms"] = float(found[key])
    return out


# --------------------------------------------------------------------------------------------------
# kafka-python produce -> consume -> produce with no domain logic


def kafka_python_pipe(
    harness: Any, pairs: Sequence[tuple[bytes, bytes]], *, partitions: int, timeout: float
) -> dict[str, Any]:
    """The write path's shape with the decider replaced by kafka-python pass-through processes."""
    from lienthong.bench.drive import drive_topic

    broker = harness.broker
    broker.create_topic(PIPE_IN, partitions)
    broker.create_topic(PIPE_OUT, partitions)
    env = harness.exchange_env(harness.path("pipe"), "sqlite://", partitions)
    workers = [
        harness.worker(
            f"passthrough-p{p}",
            [sys.executable, "-m", "lienthong.bench.ceilings", "passthrough", PIPE_IN, PIPE_OUT, str(p)],
            env,
        )
        for p in range(partitions)
    ]
    warmup = [(f"warm-{p}".encode(), pairs[0][1], p) for p in range(partitions)]
    result = drive_topic(
        broker,
        PIPE_IN,
        pairs,
        out_topics=[PIPE_OUT],
        expected=len(pairs),
        timeout=timeout,
        warmup=warmup,
        workers=workers,
    )
    result["workers"] = {w.name: {"peak_rss": w.peak_rss, "cpu_s": w.cpu_s} for w in workers}
    for w in workers:
        w.stop()
    result["consume_only"] = consume_rate(broker, PIPE_OUT, len(pairs))
    return result


def consume_rate(broker: Any, topic: str, expected: int) -> dict[str, Any]:
    """kafka-python reading ``expected`` records of ``topic`` from the start, nothing else."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(**broker.exchange_config(), group_id=None, enable_auto_commit=False)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        seen = 0
        started = time.perf_counter()
        deadline = time.monotonic() + 300
        while seen < expected and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500, max_records=5000).values():
                seen += len(records)
        elapsed = time.perf_counter() - started
    finally:
        consumer.close()
    return {"records": seen, "seconds": round(elapsed, 3), "records_per_s": seen / elapsed if elapsed else 0}


def passthrough_main(topic_in: str, topic_out: str, partition: int) -> None:
    """Copy every record of one partition to the same partition of another topic, per batch."""
    from kafka import KafkaConsumer, TopicPartition

    from lienthong.config import Settings
    from lienthong.runtime.kafka.clients import producer
    from lienthong.runtime.kafka.decider import PRODUCER_SETTINGS
    from lienthong.runtime.kafka.delivery import flush_and_confirm

    settings = Settings()
    consumer = KafkaConsumer(
        **settings.kafka_client_config(),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    prod = producer(settings, **PRODUCER_SETTINGS)  # tuned as the decider's: the ceiling is not handicapped
    tp = TopicPartition(topic_in, partition)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    running = True

    def stop(*_: Any) -> None:
        nonlocal running
        running = False

    import signal

    signal.signal(signal.SIGTERM, stop)
    while running:
        for records in consumer.poll(timeout_ms=100, max_records=500).values():
            sent = [prod.send(topic_out, key=r.key, value=r.value, partition=partition) for r in records]
            flush_and_confirm(prod, sent)  # as the decider does before its batch is acknowledged
    with contextlib.suppress(Exception):
        prod.close(timeout=5)
        consumer.close()


# --------------------------------------------------------------------------------------------------
# Kafka transport latency at a fixed rate (the floor under the end-to-end latency)

FLOOR_TOPIC = "lienthong.bench-floor"


def kafka_latency_floor(broker: Any, value: bytes, *, rate: float, seconds: float) -> dict[str, Any]:
    """kafka-python produce -> consume of the same bytes at ``rate``/s: the transport's own latency."""
    import struct
    import threading

    from kafka import KafkaConsumer, TopicPartition

    from lienthong.bench.drive import bench_producer
    from lienthong.bench.stats import summary_ms

    broker.create_topic(FLOOR_TOPIC, 1)
    n = max(1, int(rate * seconds))
    lat: list[float] = []
    consumer = KafkaConsumer(
        **broker.exchange_config(), group_id=None, enable_auto_commit=False, fetch_max_wait_ms=10
    )
    tp = TopicPartition(FLOOR_TOPIC, 0)
    consumer.assign([tp])
    consumer.seek_to_end(tp)
    consumer.position(tp)
    done = threading.Event()

    def consume() -> None:
        while not done.is_set() and len(lat) < n:
            for records in consumer.poll(timeout_ms=50).values():
                now = time.monotonic()
                lat.extend(now - struct.unpack(">d", r.key)[0] for r in records)

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    producer = bench_producer(broker)
    t0 = time.monotonic() + 0.05
    try:
        for i in range(n):
            at = t0 + i / rate
            delay = at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            producer.send(FLOOR_TOPIC, key=struct.pack(">d", at), value=value)
        producer.flush()
        deadline = time.monotonic() + 30
        while len(lat) < n and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        done.set()
        thread.join(timeout=5)
        producer.close(timeout=5)
        consumer.close()
    return {"rate": rate, "records": n, "received": len(lat), "latency_ms": summary_ms(lat)}


# --------------------------------------------------------------------------------------------------
# fastavro decode-only


def decode_ceiling(blobs: Sequence[bytes], repeat: int = 1) -> dict[str, Any]:
    """fastavro ``schemaless_reader`` over the same single-object-encoded bytes, nothing else."""
    from fastavro import schemaless_reader

    from lienthong.schemas.catalogue import Catalogue
    from lienthong.schemas.codec import HEADER_LEN

    catalogue = Catalogue.default()
    writers: dict[bytes, Any] = {}
    for b in blobs:
        fp = bytes(b[2:HEADER_LEN])
        if fp not in writers:
            writers[fp] = catalogue.by_fingerprint(fp).parsed
    best = None
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        for b in blobs:
            fo = io.BytesIO(b)
            fo.seek(HEADER_LEN)
            schemaless_reader(fo, writers[b[2:HEADER_LEN]], None)
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    assert best is not None
    return {
        "events": len(blobs),
        "seconds": round(best, 4),
        "events_per_s": len(blobs) / best if best else 0.0,
        "mean_bytes": sum(map(len, blobs)) / max(1, len(blobs)),
    }


if __name__ == "__main__":  # pragma: no cover - a worker process of the bench
    logging.basicConfig(level=logging.WARNING)
    if len(sys.argv) == 5 and sys.argv[1] == "passthrough":
        passthrough_main(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit("usage: python -m lienthong.bench.ceilings passthrough TOPIC_IN TOPIC_OUT PARTITION")
