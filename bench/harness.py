"""The machinery every scenario shares: a private broker and PostgreSQL, worker processes, their memory.

Everything started here is registered on a :class:`Harness` (an ``ExitStack``) and stopped when it
closes, whatever happened: a failed scenario, ^C, or SIGTERM (turned into ``KeyboardInterrupt``).
Workers are ``python -m lienthong.cli <command>`` processes in their own session, exactly as deployed;
their peak resident memory is read from ``/proc/<pid>/status`` (``VmHWM``) before they are stopped.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lienthong.runtime.kafka.watchdog import EXIT_STALLED, STALL_VERDICT

log = logging.getLogger(__name__)

BROKER_START_TIMEOUT = float(os.environ.get("LIENTHONG_BENCH_BROKER_TIMEOUT", "180"))
# Workers run as deployed: a stalled one exits with the watchdog's status and its supervisor starts it
# again. The harness is that supervisor; each restart is reported with the watchdog's verdict.
MAX_RESTARTS = 2
# Judged sooner than in production (120 s): a bench batch takes well under a second, and a stall must
# leave time for the restart inside the scenario's own timeouts.
BENCH_STALL_AFTER_S = "30"
DECIDER_LANES = "2"  # decision lanes per decider, as the decider service of docker-compose.yml runs


def free_ports(count: int) -> list[int]:
    """``count`` distinct free loopback ports (the sockets are held together so they differ)."""
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            socks.append(sock)
        return [s.getsockname()[1] for s in socks]
    finally:
        for sock in socks:
            sock.close()


def proc_status(pid: int) -> dict[str, int]:
    """Memory fields of /proc/<pid>/status in bytes (VmHWM = peak RSS, VmRSS = current RSS)."""
    out: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS", "VmPeak") and value.strip().endswith("kB"):
                out[key] = int(value.split()[0]) * 1024
    except OSError:
        pass
    return out


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a process has used so far (from /proc/<pid>/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def with_descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (a decider's lane processes, for one)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                with contextlib.suppress(OSError):
                    todo.extend(int(child) for child in (task / "children").read_text().split())
    return found


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> float:
    """Poll ``check`` until true; return the seconds waited, or raise TimeoutError naming ``what``."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{what}: not reached after {timeout:.0f}s")
        time.sleep(interval)
    return time.monotonic() - started


# --------------------------------------------------------------------------------------------------
# Worker processes


@dataclass
class Worker:
    """One process started by the bench (a `lienthong` worker, the gateway, or a ceiling helper)."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen | None = None
    peak_rss: int | None = None  # VmHWM, read just before the process was stopped
    cpu_s: float | None = None
    exit_code: int | None = None
    restarts: list[str] = field(default_factory=list)  # the watchdog's verdict before each restart

    def start(self) -> Worker:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as fh:
            self.proc = subprocess.Popen(
                self.argv,
                env=self.env,
                stdout=fh,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def check_alive(self) -> None:
        """Raise if the process died; one its watchdog ended is restarted, as its supervisor would."""
        if self.proc is None or self.proc.poll() is None:
            return
        if self.proc.returncode == EXIT_STALLED and len(self.restarts) < MAX_RESTARTS:
            verdict = self.log_text().rsplit(STALL_VERDICT, 1)
            self.restarts.append(STALL_VERDICT + verdict[1][:8000] if len(verdict) == 2 else self.log_tail())
            log.warning("%s stalled and exited with %d; restarting it", self.name, EXIT_STALLED)
            self.start()
            return
        raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; log tail:\n{self.log_tail()}")

    def memory(self) -> dict[str, int]:
        return proc_status(self.pid) if self.alive() else {}

    def sample(self) -> None:
        """Remember the peak RSS and CPU time so far (call while running; stop() calls it too).

        Both count the process's descendants too (a decider's lanes). The RSS is the sum of each one's
        own peak, which may not have come at the same moment: an upper bound of the whole's peak.
        """
        if self.alive():
            pids = with_descendants(self.pid)
            peaks = [proc_status(pid).get("VmHWM") for pid in pids]
            if peaks[0] is not None:
                self.peak_rss = max(self.peak_rss or 0, sum(peak or 0 for peak in peaks))
            cpus = [cpu_seconds(pid) for pid in pids]
            if cpus[0] is not None:
                self.cpu_s = sum(cpu or 0.0 for cpu in cpus)

    def stop(self, timeout: float = 20.0) -> None:
        if self.proc is None:
            return
        self.sample()
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)
        self.exit_code = self.proc.returncode

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


# --------------------------------------------------------------------------------------------------
# The broker


@dataclass
class Broker:
    """A running project broker (private to this run, or an existing one passed in)."""

    settings: Any  # lienthong.infra.kafka.KafkaSettings
    private: bool
    partitions: int = 0
    agencies: list[str] = field(default_factory=list)

    @property
    def bootstrap(self) -> str:
        return self.settings.bootstrap

    def admin_config(self) -> dict[str, Any]:
        from lienthong.infra.kafka.broker import admin_config

        return admin_config(self.settings)

    def admin_password(self) -> str:
        return self.admin_config()["sasl_plain_password"]

    def exchange_config(self) -> dict[str, Any]:
        from lienthong.infra.kafka import EXCHANGE_PRINCIPAL, client_config

        return client_config(self.settings, EXCHANGE_PRINCIPAL)

    def reset(self, partitions: int, agencies: Iterable[str], extra_topics: Iterable[str] = ()) -> None:
        """Delete the exchange's topics, its consumer groups and ``extra_topics``; provision afresh."""
        from lienthong.infra.kafka import EVENTS, REJECTIONS, SUBMISSIONS, admin_client, provision

        extra = set(extra_topics)
        with admin_client(self.settings) as admin:
            existing = set(admin.list_topics())
            # Agencies provisioned before (e.g. by the test session that lent this broker) keep theirs.
            prefix = "lienthong.rejections."
            agencies = set(agencies) | {t[len(prefix) :] for t in existing if t.startswith(prefix)}
            doomed = [
                t
                for t in existing
                if t in (SUBMISSIONS, EVENTS, REJECTIONS)
                or t.startswith("lienthong.rejections.")
                or t in extra
                or t.startswith("lienthong.bench-")
            ]
            if doomed:
                admin.delete_topics(doomed)
            deadline = time.monotonic() + 60
            while set(admin.list_topics()) & set(doomed):
                if time.monotonic() > deadline:
                    left = sorted(set(admin.list_topics()) & set(doomed))
                    raise RuntimeError(f"topics not deleted: {left}")
                time.sleep(0.2)
            groups = [g["group_id"] for g in admin.list_groups() if g["group_id"].startswith("lienthong-")]
            if groups:
                with contextlib.suppress(Exception):
                    admin.delete_groups(groups)
        self.agencies = sorted(set(agencies))
        provision(self.settings, self.agencies, partitions=partitions)
        self.partitions = partitions

    def create_topic(self, name: str, partitions: int) -> None:
        """A scratch topic for the ceilings (named ``lienthong.bench-*`` so the exchange's ACL covers it)."""
        from kafka.admin import NewTopic

        from lienthong.infra.kafka import admin_client

        with admin_client(self.settings) as admin:
            if name in set(admin.list_topics()):
                admin.delete_topics([name])
                wait_until(lambda: name not in set(admin.list_topics()), 60, f"delete {name}", 0.2)
            admin.create_topics([NewTopic(name, partitions, 1)])
            admin.wait_for_topics([name], timeout_ms=30_000)

    def end_offsets(self, topics: Iterable[str]) -> dict[tuple[str, int], int]:
        from kafka import KafkaConsumer, TopicPartition

        consumer = KafkaConsumer(**self.admin_config(), group_id=None)
        try:
            tps = [
                TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or [])
            ]
            return {(tp.topic, tp.partition): o for tp, o in consumer.end_offsets(tps).items()}
        finally:
            consumer.close()


class EndOffsets:
    """A reusable consumer that reads end offsets (for watching progress without a group)."""

    def __init__(self, broker: Broker, topics: Iterable[str]) -> None:
        from kafka import KafkaConsumer, TopicPartition

        self._consumer = KafkaConsumer(**broker.admin_config(), group_id=None)
        self._tps = [
            TopicPartition(t, p) for t in topics for p in sorted(self._consumer.partitions_for_topic(t) or [])
        ]

    def total(self) -> int:
        return sum(self._consumer.end_offsets(self._tps).values())

    def by_topic(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for tp, offset in self._consumer.end_offsets(self._tps).items():
            out[tp.topic] = out.get(tp.topic, 0) + offset
        return out

    def close(self) -> None:
        self._consumer.close()


# --------------------------------------------------------------------------------------------------
# The harness


class Harness(contextlib.ExitStack):
    """Owns the run's temp dir, broker, PostgreSQL and workers; closing it stops them all."""

    def __init__(self, workdir: Path | None = None, keep: bool = False) -> None:
        super().__init__()
        self.keep = keep
        if workdir is None:
            workdir = Path(tempfile.mkdtemp(prefix="lienthong-bench-"))
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.broker: Broker | None = None
        self.postgres: Any = None  # lienthong.infra.postgres.PostgresSettings
        self.workers: list[Worker] = []
        self._previous_sigterm: Any = None

    def __enter__(self) -> Harness:
        super().__enter__()
        if threading_main():
            self._previous_sigterm = signal.signal(signal.SIGTERM, _sigterm_to_interrupt)
            self.callback(signal.signal, signal.SIGTERM, self._previous_sigterm)
        if not self.keep:
            self.callback(shutil.rmtree, self.workdir, True)
        return self

    def path(self, *parts: str) -> Path:
        p = self.workdir.joinpath(*parts)
        p.mkdir(parents=True, exist_ok=True)
        return p

    # -- broker -------------------------------------------------------------------------------

    def kafka(self, *, state_dir: Path | None = None, port: int | None = None) -> Broker:
        """Start a private broker on free ports (or attach to the running one at state_dir/port)."""
        if self.broker is not None:
            return self.broker
        from lienthong.infra.kafka import KafkaSettings, down, status, up

        if state_dir is not None:
            settings = KafkaSettings(state_dir=state_dir, port=port or 19092)
            found = status(settings)
            if not found.ready:
                raise RuntimeError(f"no ready broker at {settings.bootstrap} ({state_dir}): {found.error}")
            self.broker = Broker(settings, private=False)
            return self.broker
        error: Exception | None = None
        for attempt in range(2):
            port_, controller = free_ports(2)
            settings = KafkaSettings(
                state_dir=self.path(f"kafka{attempt}"), port=port_, controller_port=controller
            )
            self.callback(_quietly, down, settings, 30)
            try:
                started = time.monotonic()
                up(settings, timeout=BROKER_START_TIMEOUT)
                log.info("bench broker ready at %s in %.1fs", settings.bootstrap, time.monotonic() - started)
                self.broker = Broker(settings, private=True)
                return self.broker
            except Exception as exc:  # a port taken in between, a slow JVM: try once more
                error = exc
                _quietly(down, settings, 30)
        raise RuntimeError(f"the bench's Kafka broker could not start: {error}")

    def broker_pid(self) -> int | None:
        if self.broker is None:
            return None
        from lienthong.infra.kafka.broker import _running_pid

        return _running_pid(self.broker.settings)

    # -- PostgreSQL ---------------------------------------------------------------------------

    def postgres_url(self, url: str | None = None) -> str:
        """A fresh database on a private PostgreSQL cluster (or on the server of ``url``)."""
        from lienthong.infra.postgres import PostgresSettings, create_database, down, up

        name = f"bench_{uuid.uuid4().hex[:10]}"
        if url is not None:
            return _fresh_database_from_url(url, name, self)
        if self.postgres is None:
            # Directly under /tmp: as root the server runs as the postgres OS user, who must reach it.
            state = Path(tempfile.mkdtemp(prefix="lienthong-bench-pg-"))
            settings = PostgresSettings(state_dir=state, port=free_ports(1)[0])
            self.callback(shutil.rmtree, state, True)
            self.callback(_quietly, down, settings)
            up(settings)
            self.postgres = settings
        return create_database(self.postgres, name)

    # -- workers ------------------------------------------------------------------------------

    def worker(self, name: str, argv: list[str], env: dict[str, str]) -> Worker:
        w = Worker(name, argv, env, self.workdir / "logs" / f"{name}-{len(self.workers)}.log")
        self.workers.append(w)
        self.callback(w.stop)
        return w.start()

    def lienthong(self, command: str, env: dict[str, str], name: str | None = None) -> Worker:
        return self.worker(name or command, [sys.executable, "-m", "lienthong.cli", command], env)

    def exchange_env(
        self, data_dir: Path, database_url: str, partitions: int, **extra: str
    ) -> dict[str, str]:
        """The environment of an exchange worker on this run's broker, configured as docker-compose.yml
        configures it."""
        from lienthong.infra.kafka import EXCHANGE_PRINCIPAL, credentials

        assert self.broker is not None
        user, password = credentials(self.broker.settings, EXCHANGE_PRINCIPAL)
        env = {
            **os.environ,
            "LIENTHONG_KAFKA_BOOTSTRAP": self.broker.bootstrap,
            "LIENTHONG_KAFKA_USERNAME": user,
            "LIENTHONG_KAFKA_PASSWORD": password,
            "LIENTHONG_DATA_DIR": str(data_dir),
            "LIENTHONG_PARTITIONS": str(partitions),
            "LIENTHONG_DATABASE_URL": database_url,
            "PYTHONUNBUFFERED": "1",
            "LIENTHONG_STALL_AFTER": os.environ.get("LIENTHONG_STALL_AFTER", BENCH_STALL_AFTER_S),
            "LIENTHONG_DECIDER_LANES": os.environ.get("LIENTHONG_DECIDER_LANES", DECIDER_LANES),
            **extra,
        }
        env.pop("LIENTHONG_FAILPOINTS", None)
        return env


def embedded_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    env.update({"LIENTHONG_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1", **extra})
    return env


def _fresh_database_from_url(url: str, name: str, harness: Harness) -> str:
    """A fresh schema in the database ``url`` names (its owner may create schemas, not databases).

    The returned URL puts the schema first on the search path, so the read models land there; it is
    dropped (CASCADE) when the harness closes.
    """
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    conninfo = dict(host=u.host, port=u.port or 5432, user=u.username, password=u.password, dbname=u.database)
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')

    def drop() -> None:
        with psycopg.connect(**conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')

    harness.callback(_quietly, drop)
    return u.update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(hide_password=False)


def _quietly(fn: Callable[..., Any], *args: Any) -> None:
    try:
        fn(*args)
    except Exception as exc:  # cleanup must go on with the next resource
        log.warning("cleanup %s failed: %s", getattr(fn, "__name__", fn), exc)


def _sigterm_to_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def threading_main() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def sampling(workers: list[Worker], interval: float = 0.5) -> Iterator[None]:
    """Sample the workers' peak RSS in the background while the block runs."""
    import threading

    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            for w in workers:
                w.sample()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
        for w in workers:
            w.sample()
