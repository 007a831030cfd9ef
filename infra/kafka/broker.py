"""A real Apache Kafka 4.x broker run by the project: one combined KRaft node on loopback.

* Jars come from Maven Central (``infra/kafka/pom.xml``) into ``<cache_dir>/kafka-<ver>/libs``; the Maven
  local repository is ``<cache_dir>/m2`` so nothing lands in ``~/.m2``.
* Clients authenticate with SASL_PLAINTEXT + SCRAM-SHA-512; authorization is the KRaft
  ``StandardAuthorizer`` with ``allow.everyone.if.no.acl.found=false``.
* Secrets (admin, controller and provisioned users' passwords) are generated at random and kept in
  ``<state_dir>/secrets.json`` (mode 0600). Nothing is hard-coded.
* Readiness is decided over the protocol only: a SCRAM-authenticated ``DescribeCluster`` as the admin
  user must succeed and list this node as an unfenced broker. Logs are never parsed.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import logging
import os
import shutil
import signal
import socket
import string
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
# kafka-python logs connection failures while we poll a starting broker; without any handler
# configured, Python's last-resort handler would print them on stderr.
logging.getLogger("kafka").addHandler(logging.NullHandler())

KAFKA_VERSION = "4.4.0"
SCALA_ARTIFACT = "kafka_2.13"

ADMIN_USER = "admin"
CONTROLLER_USER = "controller"
SECURITY_PROTOCOL = "SASL_PLAINTEXT"
SASL_MECHANISM = "SCRAM-SHA-512"
SECURITY = f"{SECURITY_PROTOCOL}/{SASL_MECHANISM}"
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
NODE_ID = 1

_HERE = Path(__file__).resolve().parent
REPO_ROOT = _HERE.parents[1]
POM = _HERE / "pom.xml"
SERVER_TEMPLATE = _HERE / "server.properties.template"
LOG4J2_TEMPLATE = _HERE / "log4j2.properties"

DEFAULT_PORT = 19092
_SECRETS_FILE = "secrets.json"
_PID_FILE = "broker.pid"
_RUN_FILE = "run.json"
_LOG_FILE = "broker.log"
_LOG_ROTATE_BYTES = 32 * 1024 * 1024

# Popen objects of brokers started by this process, so that a killed broker is reaped (a zombie
# still answers os.kill(pid, 0)) and no "subprocess still running" ResourceWarning is emitted.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


class KafkaBrokerError(RuntimeError):
    """The local broker could not be fetched, formatted, started or stopped."""


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def _default_state_dir() -> Path:
    raw = os.environ.get("LIENTHONG_KAFKA_STATE_DIR")
    return Path(raw) if raw else REPO_ROOT / "var" / "kafka"


def _default_cache_dir() -> Path:
    raw = os.environ.get("LIENTHONG_CACHE_DIR")
    return Path(raw) if raw else REPO_ROOT / ".cache"


@dataclass
class KafkaSettings:
    """Where and how the local broker runs. Defaults honour LIENTHONG_KAFKA_STATE_DIR,
    LIENTHONG_KAFKA_PORT, LIENTHONG_KAFKA_CONTROLLER_PORT and LIENTHONG_CACHE_DIR."""

    state_dir: Path = field(default_factory=_default_state_dir)
    host: str = "127.0.0.1"
    port: int = field(default_factory=lambda: _env_int("LIENTHONG_KAFKA_PORT", DEFAULT_PORT))
    controller_port: int = field(default_factory=lambda: _env_int("LIENTHONG_KAFKA_CONTROLLER_PORT", 0))
    kafka_version: str = KAFKA_VERSION
    heap: str = "-Xmx512m"
    cache_dir: Path = field(default_factory=_default_cache_dir)
    java: str = "java"
    offsets_partitions: int = 4
    transaction_partitions: int = 1
    jvm_opts: tuple[str, ...] = (
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-XX:InitiatingHeapOccupancyPercent=35",
        "-XX:+ExplicitGCInvokesConcurrent",
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.awt.headless=true",
    )
    overrides: dict[str, str] = field(default_factory=dict)
    """Extra server properties, appended after the template (e.g. for fault tests)."""

    def __post_init__(self) -> None:
        self.state_dir = Path(self.state_dir).expanduser().absolute()
        self.cache_dir = Path(self.cache_dir).expanduser().absolute()
        self.port = int(self.port)
        self.controller_port = int(self.controller_port) or self.port + 1
        if self.port == self.controller_port:
            raise ValueError("port and controller_port must differ")

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def libs_dir(self) -> Path:
        return self.cache_dir / f"kafka-{self.kafka_version}" / "libs"

    @property
    def maven_repo(self) -> Path:
        return self.cache_dir / "m2"

    @property
    def data_dir(self) -> Path:
        return self.state_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.state_dir / _LOG_FILE

    @property
    def pid_file(self) -> Path:
        return self.state_dir / _PID_FILE

    @property
    def secrets_file(self) -> Path:
        return self.state_dir / _SECRETS_FILE

    @property
    def server_properties(self) -> Path:
        return self.state_dir / "server.properties"

    @property
    def log4j2_properties(self) -> Path:
        return self.state_dir / "log4j2.properties"


@dataclass
class BrokerStatus:
    """What ``status`` found. ``ready`` means a SCRAM-authenticated DescribeCluster succeeded."""

    running: bool
    ready: bool
    pid: int | None
    bootstrap: str
    security: str = SECURITY
    authorizer: str | None = None
    cluster_id: str | None = None
    broker_version: str | None = None
    topics: list[str] = field(default_factory=list)
    state_dir: str = ""
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------------------------------
# Small file helpers


@contextlib.contextmanager
def _flock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _write_private(path: Path, text: str) -> None:
    """Atomically write ``text`` to ``path`` with mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _ensure_state_dir(settings: KafkaSettings) -> None:
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.state_dir, 0o700)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 64 * 1024))
            data = fh.read().decode("utf-8", "replace")
    except OSError:
        return f"(no {path})"
    return "\n".join(data.splitlines()[-lines:])


# --------------------------------------------------------------------------------------------------
# Secrets


def _new_password() -> str:
    import secrets

    # URL-safe alphabet: no quotes, commas, brackets or '=' that would break the JAAS line or the
    # StorageTool --add-scram syntax.
    return secrets.token_urlsafe(24)


def read_secrets(settings: KafkaSettings) -> dict[str, Any]:
    """The content of ``<state_dir>/secrets.json`` (empty structure if absent)."""
    try:
        data = json.loads(settings.secrets_file.read_text())
    except FileNotFoundError:
        data = {}
    data.setdefault("users", {})
    return data


def update_secrets(settings: KafkaSettings, mutate: Callable[[dict[str, Any]], Any]) -> Any:
    """Read-modify-write ``secrets.json`` under a lock; ``mutate`` edits the dict in place."""
    _ensure_state_dir(settings)
    with _flock(settings.state_dir / ".secrets.lock"):
        data = read_secrets(settings)
        before = json.dumps(data, sort_keys=True)
        result = mutate(data)
        if json.dumps(data, sort_keys=True) != before or not settings.secrets_file.exists():
            _write_private(settings.secrets_file, json.dumps(data, indent=2, sort_keys=True) + "\n")
        return result


def ensure_user_password(settings: KafkaSettings, user: str) -> tuple[str, bool]:
    """Return (password, created) for a SCRAM user, generating and storing one if needed."""

    def mutate(data: dict[str, Any]) -> tuple[str, bool]:
        users = data["users"]
        if user in users:
            return users[user], False
        users[user] = _new_password()
        return users[user], True

    return update_secrets(settings, mutate)


def user_password(settings: KafkaSettings, user: str) -> str:
    """The stored password of a SCRAM user; ``KeyError`` if it was never provisioned."""
    users = read_secrets(settings)["users"]
    if user not in users:
        raise KeyError(
            f"no credentials for Kafka user {user!r} in {settings.secrets_file} "
            "(run provision() / `lienthong kafka up` first)"
        )
    return users[user]


def admin_config(settings: KafkaSettings) -> dict[str, Any]:
    """kafka-python connection kwargs for the admin (super) user."""
    return {
        "bootstrap_servers": settings.bootstrap,
        "security_protocol": SECURITY_PROTOCOL,
        "sasl_mechanism": SASL_MECHANISM,
        "sasl_plain_username": ADMIN_USER,
        "sasl_plain_password": user_password(settings, ADMIN_USER),
    }


@contextlib.contextmanager
def admin_client(settings: KafkaSettings, **overrides: Any) -> Iterator[Any]:
    """A kafka-python ``KafkaAdminClient`` logged in as the admin user (closed on exit)."""
    from kafka.admin import KafkaAdminClient

    kwargs: dict[str, Any] = {
        "client_id": "lienthong-kafka-admin",
        "bootstrap_timeout_ms": 10_000,
        "request_timeout_ms": 15_000,
        **admin_config(settings),
    }
    kwargs.update(overrides)
    client = KafkaAdminClient(**kwargs)
    try:
        yield client
    finally:
        client.close()


# --------------------------------------------------------------------------------------------------
# Jars


def ensure_jars(settings: KafkaSettings) -> Path:
    """Make sure the broker's runtime classpath is in ``settings.libs_dir``; return that dir.

    Runs Maven (``dependency:copy-dependencies``) only when the cached set is missing or incomplete.
    """
    libs = settings.libs_dir
    marker = libs / ".complete"
    main_jar = f"{SCALA_ARTIFACT}-{settings.kafka_version}.jar"
    if marker.exists() and (libs / main_jar).exists():
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KafkaBrokerError(
            f"Kafka jars are not cached in {libs} and Maven ('mvn') is not on PATH; "
            "install Maven 3 (and network access to Maven Central) or pre-populate the cache"
        )
    libs.parent.mkdir(parents=True, exist_ok=True)
    with _flock(libs.parent / ".fetch.lock"):
        if marker.exists() and (libs / main_jar).exists():
            return libs
        tmp = libs.parent / f"libs.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        cmd = [
            mvn,
            "-q",
            "-B",
            "-f",
            str(POM),
            f"-Dmaven.repo.local={settings.maven_repo}",
            f"-Dkafka.version={settings.kafka_version}",
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={tmp}",
        ]
        started = time.monotonic()
        log.info("fetching Kafka %s jars from Maven Central into %s", settings.kafka_version, libs)
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False)
        except subprocess.TimeoutExpired as exc:
            raise KafkaBrokerError(f"Maven timed out fetching Kafka jars: {' '.join(cmd)}") from exc
        if proc.returncode != 0 or not (tmp / main_jar).exists():
            out = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
            shutil.rmtree(tmp, ignore_errors=True)
            raise KafkaBrokerError(
                f"Maven could not fetch org.apache.kafka:{SCALA_ARTIFACT}:{settings.kafka_version} "
                f"(exit {proc.returncode}). Command: {' '.join(cmd)}\n{out}"
            )
        jars = sorted(p.name for p in tmp.glob("*.jar"))
        (tmp / ".complete").write_text("\n".join(jars) + "\n")
        shutil.rmtree(libs, ignore_errors=True)
        os.replace(tmp, libs)
        log.info("fetched %d jars in %.1fs", len(jars), time.monotonic() - started)
    return libs


# --------------------------------------------------------------------------------------------------
# Process helpers


def _read_pid(settings: KafkaSettings) -> int | None:
    try:
        return int(settings.pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _is_our_broker(settings: KafkaSettings, pid: int) -> bool:
    """True if ``pid`` is alive (not a zombie) and is the broker of this state dir."""
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        _CHILDREN.pop(pid, None)
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)
            return False
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, IndexError):
        return False
    args = [a.decode("utf-8", "replace") for a in cmdline]
    return "kafka.Kafka" in args and str(settings.server_properties) in args


def _running_pid(settings: KafkaSettings) -> int | None:
    pid = _read_pid(settings)
    if pid is not None and _is_our_broker(settings, pid):
        return pid
    return None


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _java(settings: KafkaSettings) -> str:
    java = shutil.which(settings.java)
    if java is None:
        raise KafkaBrokerError(
            f"'{settings.java}' not found on PATH: Kafka {settings.kafka_version} needs Java 17+"
        )
    return java


def _java_cmd(settings: KafkaSettings, main: str, *args: str, heap: str | None = None) -> list[str]:
    return [
        _java(settings),
        heap or settings.heap,
        *settings.jvm_opts,
        f"-Dlog4j2.configurationFile={settings.log4j2_properties}",
        "-cp",
        f"{settings.libs_dir}/*",
        main,
        *args,
    ]


# --------------------------------------------------------------------------------------------------
# Configuration and storage


def _random_cluster_id() -> str:
    # Same text form as org.apache.kafka.common.Uuid.randomUuid().toString(): URL-safe base64 of 16
    # random bytes, no padding, never starting with '-' (which would look like a CLI flag).
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def _render_config(settings: KafkaSettings, secrets_data: dict[str, Any]) -> None:
    ctrl = secrets_data["controller"]
    values = {
        "node_id": NODE_ID,
        "host": settings.host,
        "port": settings.port,
        "controller_port": settings.controller_port,
        "admin_user": ADMIN_USER,
        "admin_password": secrets_data["users"][ADMIN_USER],
        "controller_user": ctrl["username"],
        "controller_password": ctrl["password"],
        "log_dirs": settings.data_dir,
        "offsets_partitions": settings.offsets_partitions,
        "transaction_partitions": settings.transaction_partitions,
    }
    text = string.Template(SERVER_TEMPLATE.read_text()).substitute(values)
    if settings.overrides:
        text += "\n# overrides (KafkaSettings.overrides)\n"
        text += "".join(f"{k}={v}\n" for k, v in settings.overrides.items())
    _write_private(settings.server_properties, text)
    _write_private(settings.log4j2_properties, LOG4J2_TEMPLATE.read_text())


def _bootstrap_secrets(settings: KafkaSettings) -> dict[str, Any]:
    def mutate(data: dict[str, Any]) -> dict[str, Any]:
        data["users"].setdefault(ADMIN_USER, _new_password())
        data.setdefault("controller", {"username": CONTROLLER_USER, "password": _new_password()})
        return json.loads(json.dumps(data))

    return update_secrets(settings, mutate)


def is_formatted(settings: KafkaSettings) -> bool:
    return (settings.data_dir / "meta.properties").exists()


def _format_storage(settings: KafkaSettings, secrets_data: dict[str, Any]) -> str:
    cluster_id = _random_cluster_id()
    admin_pw = secrets_data["users"][ADMIN_USER]
    cmd = _java_cmd(
        settings,
        "kafka.tools.StorageTool",
        "format",
        "--cluster-id",
        cluster_id,
        "--config",
        str(settings.server_properties),
        "--add-scram",
        f"{SASL_MECHANISM}=[name={ADMIN_USER},password={admin_pw}]",
        heap="-Xmx256m",
    )
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    with open(settings.log_file, "a") as fh:
        fh.write(
            f"===== lienthong: StorageTool format (cluster id {cluster_id}) exit {proc.returncode} =====\n"
        )
        fh.write(proc.stdout.replace(admin_pw, "***") + proc.stderr.replace(admin_pw, "***"))
    if proc.returncode != 0 or not is_formatted(settings):
        out = "\n".join((proc.stdout + proc.stderr).replace(admin_pw, "***").splitlines()[-30:])
        raise KafkaBrokerError(f"kafka.tools.StorageTool format failed (exit {proc.returncode}):\n{out}")
    return cluster_id


# --------------------------------------------------------------------------------------------------
# Probing over the protocol


def _probe(settings: KafkaSettings, *, details: bool, timeout_s: float = 5.0) -> tuple[bool, dict[str, Any]]:
    """Return (ready, info). Ready = SCRAM login as admin + DescribeCluster lists us, unfenced."""
    if not _port_open(settings.host, settings.port, timeout=min(1.0, timeout_s)):
        return False, {"error": f"nothing listening on {settings.bootstrap}"}
    users = read_secrets(settings)["users"]
    if ADMIN_USER not in users:
        return False, {"error": f"no admin credentials in {settings.secrets_file}"}
    ms = max(1000, int(timeout_s * 1000))
    try:
        with admin_client(settings, bootstrap_timeout_ms=ms, request_timeout_ms=ms) as admin:
            cluster = admin.describe_cluster()
            brokers = [b for b in cluster.get("brokers", []) if not b.get("is_fenced")]
            if not any(b.get("broker_id") == NODE_ID for b in brokers):
                return False, {"error": f"broker {NODE_ID} not (yet) registered unfenced: {cluster}"}
            info: dict[str, Any] = {"cluster_id": cluster.get("cluster_id")}
            if details:
                from kafka.admin import ConfigResource, ConfigResourceType

                res = ConfigResource(ConfigResourceType.BROKER, str(NODE_ID), ["authorizer.class.name"])
                cfg = admin.describe_configs([res], config_filter="all")
                entry = cfg.get("broker", {}).get(str(NODE_ID), {}).get("authorizer.class.name", {})
                info["authorizer"] = entry.get("value")
                info["topics"] = sorted(t for t in admin.list_topics() if not t.startswith("__"))
            return True, info
    except Exception as exc:  # any client error means "not ready"; the reason is reported
        return False, {"error": f"{type(exc).__name__}: {exc}"}


def _run_info(settings: KafkaSettings) -> dict[str, Any]:
    try:
        return json.loads((settings.state_dir / _RUN_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return {}


def status(settings: KafkaSettings | None = None) -> BrokerStatus:
    """Report on the broker of ``settings.state_dir``; readiness is probed over SASL/SCRAM."""
    settings = settings or KafkaSettings()
    pid = _running_pid(settings)
    ready, info = _probe(settings, details=True)
    run = _run_info(settings)
    return BrokerStatus(
        running=pid is not None,
        ready=ready,
        pid=pid,
        bootstrap=settings.bootstrap,
        authorizer=info.get("authorizer"),
        cluster_id=info.get("cluster_id"),
        broker_version=run.get("kafka_version") if pid is not None else None,
        topics=info.get("topics", []),
        state_dir=str(settings.state_dir),
        error=info.get("error"),
    )


def wait_ready(settings: KafkaSettings, timeout: float = 120.0, pid: int | None = None) -> float:
    """Poll until the broker answers a SCRAM-authenticated DescribeCluster; return seconds waited."""
    started = time.monotonic()
    deadline = started + timeout
    last = "not probed"
    while True:
        if pid is not None and not _is_our_broker(settings, pid):
            code = None
            child = _CHILDREN.pop(pid, None)
            if child is not None:
                code = child.poll()
            raise KafkaBrokerError(
                f"Kafka broker (pid {pid}) exited during startup (exit code {code}). "
                f"Tail of {settings.log_file}:\n{_tail(settings.log_file)}"
            )
        remaining = deadline - time.monotonic()
        ok, info = _probe(settings, details=False, timeout_s=max(1.0, min(5.0, remaining)))
        if ok:
            return time.monotonic() - started
        last = info.get("error", last)
        if time.monotonic() >= deadline:
            raise KafkaBrokerError(
                f"Kafka broker at {settings.bootstrap} not ready after {timeout:.0f}s "
                f"(SCRAM DescribeCluster as {ADMIN_USER!r} kept failing: {last}). "
                f"Tail of {settings.log_file}:\n{_tail(settings.log_file)}"
            )
        time.sleep(0.3)


# --------------------------------------------------------------------------------------------------
# Lifecycle


def _rotate_log(settings: KafkaSettings) -> None:
    with contextlib.suppress(FileNotFoundError):
        if settings.log_file.stat().st_size > _LOG_ROTATE_BYTES:
            os.replace(settings.log_file, settings.log_file.with_suffix(".log.1"))


def _start_process(settings: KafkaSettings) -> int:
    _rotate_log(settings)
    cmd = _java_cmd(settings, "kafka.Kafka", str(settings.server_properties))
    with open(settings.log_file, "ab") as logf:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        logf.write(f"===== lienthong: starting Kafka {settings.kafka_version} at {stamp} =====\n".encode())
        logf.flush()
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=logf,
            stderr=subprocess.STDOUT,
            cwd=settings.state_dir,
            start_new_session=True,  # own process group: down() signals the group, ^C on us does not
            close_fds=True,
        )
    _CHILDREN[proc.pid] = proc
    _write_private(settings.pid_file, f"{proc.pid}\n")
    run = {
        "pid": proc.pid,
        "kafka_version": settings.kafka_version,
        "bootstrap": settings.bootstrap,
        "controller_port": settings.controller_port,
        "started_at": time.time(),
    }
    _write_private(settings.state_dir / _RUN_FILE, json.dumps(run, indent=2) + "\n")
    return proc.pid


def up(settings: KafkaSettings | None = None, timeout: float = 120.0) -> BrokerStatus:
    """Start the broker (idempotent) and return its status once ready.

    * already running and ready -> just the status;
    * running but not ready yet -> wait for readiness;
    * otherwise fetch jars if needed, write config, format the storage on first start only (with the
      admin SCRAM user), start ``kafka.Kafka`` detached and wait for a SCRAM DescribeCluster.
    """
    settings = settings or KafkaSettings()
    _ensure_state_dir(settings)
    with _flock(settings.state_dir / ".lock"):
        pid = _running_pid(settings)
        if pid is not None:
            wait_ready(settings, timeout=timeout, pid=pid)
            return status(settings)
        for port in (settings.port, settings.controller_port):
            if not _port_free(settings.host, port):
                raise KafkaBrokerError(
                    f"{settings.host}:{port} is already in use by another process; choose other ports "
                    "(LIENTHONG_KAFKA_PORT / KafkaSettings.port, controller_port)"
                )
        ensure_jars(settings)
        secrets_data = _bootstrap_secrets(settings)
        _render_config(settings, secrets_data)
        if not is_formatted(settings):
            _format_storage(settings, secrets_data)
        pid = _start_process(settings)
        try:
            elapsed = wait_ready(settings, timeout=timeout, pid=pid)
        except BaseException:
            _stop(settings, pid, timeout=20.0)
            raise
        log.info("Kafka broker pid %d ready at %s after %.1fs", pid, settings.bootstrap, elapsed)
        return status(settings)


def _stop(settings: KafkaSettings, pid: int, timeout: float) -> None:
    def signal_broker(sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            # The broker leads its own process group (start_new_session); never signal ours.
            if os.getpgid(pid) == pid and pid != os.getpgid(0):
                os.killpg(pid, sig)
            else:
                os.kill(pid, sig)

    signal_broker(signal.SIGTERM)
    signal_broker(signal.SIGCONT)  # a SIGSTOPped broker must run to handle SIGTERM
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _is_our_broker(settings, pid):
        time.sleep(0.1)
    if _is_our_broker(settings, pid):
        log.warning("Kafka broker pid %d ignored SIGTERM for %.0fs; sending SIGKILL", pid, timeout)
        signal_broker(signal.SIGKILL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and _is_our_broker(settings, pid):
            time.sleep(0.1)
    child = _CHILDREN.pop(pid, None)
    if child is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=5)


def down(settings: KafkaSettings | None = None, timeout: float = 60.0) -> bool:
    """Stop the broker: SIGTERM its process group, SIGKILL after ``timeout``. True if one was running."""
    settings = settings or KafkaSettings()
    if not settings.state_dir.exists():
        return False
    with _flock(settings.state_dir / ".lock"):
        pid = _running_pid(settings)
        if pid is not None:
            _stop(settings, pid, timeout)
        for path in (settings.pid_file, settings.state_dir / _RUN_FILE):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        return pid is not None


def kill(settings: KafkaSettings, sig: int = signal.SIGKILL) -> int:
    """Send ``sig`` to the broker process (fault injection); return its pid.

    After SIGKILL the pid file stays; ``up`` then restarts the same formatted state dir.
    """
    pid = _running_pid(settings)
    if pid is None:
        raise KafkaBrokerError(f"no Kafka broker running for {settings.state_dir}")
    os.kill(pid, sig)
    if sig == signal.SIGKILL:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and _is_our_broker(settings, pid):
            time.sleep(0.05)
    return pid


def broker_rss_bytes(settings: KafkaSettings) -> int | None:
    """Resident set size of the running broker (Linux /proc), or None."""
    pid = _running_pid(settings)
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None
