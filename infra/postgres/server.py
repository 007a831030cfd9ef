"""A real PostgreSQL server owned by the project: its own cluster in a state directory.

The cluster is created with the Debian binaries (``/usr/lib/postgresql/<major>/bin``), installed
with apt when missing. It never touches Debian's system cluster: it has its own data directory,
listens only on 127.0.0.1:<port> and keeps its unix socket inside the state directory.

Layout of ``state_dir``::

    secrets.json   superuser and application passwords (0600, owner = the invoking user)
    data/          the cluster (owner = the postgres OS user when run as root)
    run/           unix socket directory
    log/           server log (pg_ctl -l)
    .lock          serialises concurrent up/down calls

PostgreSQL refuses to run as root, so as root every server binary runs as the ``postgres`` OS
user through ``runuser -u postgres --``; as any other user it runs as that user.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import hashlib
import json
import logging
import os
import pwd
import re
import secrets
import shutil
import stat
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

DEFAULT_PORT = 55432
DEFAULT_HOST = "127.0.0.1"
DEFAULT_DATABASE = "lienthong"
DEFAULT_USER = "lienthong"
SUPERUSER = "postgres"
PG_OS_USER = "postgres"
ENV_STATE_DIR = "LIENTHONG_PG_STATE_DIR"
ENV_PORT = "LIENTHONG_PG_PORT"
ENV_BINDIR = "LIENTHONG_PG_BINDIR"
CONF_NAME = "lienthong.conf"
START_TIMEOUT_S = 90
APT_TIMEOUT_S = 1200
_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# sun_path is 108 bytes on Linux, including the terminating NUL.
_MAX_SOCKET_PATH = 100


class PostgresError(RuntimeError):
    """The project's PostgreSQL server could not be installed, started, stopped or reached."""


class PostgresNotInstalled(PostgresError):
    """No PostgreSQL server binaries, and they could not be installed."""


def _repo_root() -> Path | None:
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() else None


def _default_state_dir() -> Path:
    env = os.environ.get(ENV_STATE_DIR)
    if env:
        return Path(env).expanduser()
    root = _repo_root() or Path.cwd()
    return root / "var" / "postgres"


def _default_port() -> int:
    env = os.environ.get(ENV_PORT)
    if not env:
        return DEFAULT_PORT
    try:
        port = int(env)
    except ValueError:
        raise PostgresError(f"{ENV_PORT}={env!r} is not a port number") from None
    if not 0 < port < 65536:
        raise PostgresError(f"{ENV_PORT}={env!r} is not a port number")
    return port


@dataclass
class PostgresSettings:
    """Where the project's cluster lives and how clients reach it.

    The password is not a field: it is generated on first ``up`` and kept in
    ``state_dir/secrets.json`` (0600). Read it with :attr:`password`.
    """

    state_dir: Path = field(default_factory=_default_state_dir)
    host: str = DEFAULT_HOST
    port: int = field(default_factory=_default_port)
    database: str = DEFAULT_DATABASE
    user: str = DEFAULT_USER

    def __post_init__(self) -> None:
        self.state_dir = Path(self.state_dir).expanduser().absolute()
        self.port = int(self.port)
        for name in (self.database, self.user):
            _check_name(name)

    @property
    def data_dir(self) -> Path:
        return self.state_dir / "data"

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "log"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "postgres.log"

    @property
    def secrets_file(self) -> Path:
        return self.state_dir / "secrets.json"

    @property
    def socket_dir(self) -> Path:
        """``state_dir/run``, or a short directory under /tmp when that path is too long for a socket."""
        preferred = self.state_dir / "run"
        if len(str(preferred / f".s.PGSQL.{self.port}")) <= _MAX_SOCKET_PATH:
            return preferred
        digest = hashlib.sha1(str(self.state_dir).encode()).hexdigest()[:12]
        return Path("/tmp") / f"lienthong-pg-{digest}"

    @property
    def password(self) -> str:
        """The application role's password (raises if the cluster was never initialised)."""
        return _read_secrets(self)["password"]


@dataclass
class PgBinaries:
    bindir: Path
    major: int

    def tool(self, name: str) -> str:
        return str(self.bindir / name)


@dataclass
class PgStatus:
    """What ``status`` found. ``ready`` means a TCP login as the application role ran ``SELECT 1``."""

    running: bool
    ready: bool
    initialized: bool
    host: str
    port: int
    database: str
    user: str
    state_dir: str
    data_dir: str
    socket_dir: str
    pid: int | None = None
    version: str | None = None
    version_num: int | None = None
    error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------------------------
# Binaries


def _bindir_candidates() -> list[PgBinaries]:
    found: list[PgBinaries] = []
    for path in glob.glob("/usr/lib/postgresql/*/bin"):
        bindir = Path(path)
        try:
            major = int(bindir.parent.name.split(".")[0])
        except ValueError:
            continue
        if _complete(bindir):
            found.append(PgBinaries(bindir, major))
    return sorted(found, key=lambda b: b.major, reverse=True)


def _complete(bindir: Path) -> bool:
    return all(os.access(bindir / tool, os.X_OK) for tool in ("initdb", "pg_ctl", "postgres"))


def _major_of(bindir: Path) -> int:
    out = subprocess.run(
        [str(bindir / "postgres"), "--version"], capture_output=True, text=True, check=False, timeout=30
    ).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else 0


def find_binaries() -> PgBinaries | None:
    """The newest complete server install: $LIENTHONG_PG_BINDIR, /usr/lib/postgresql/*/bin, then PATH."""
    env = os.environ.get(ENV_BINDIR)
    if env:
        bindir = Path(env)
        return PgBinaries(bindir, _major_of(bindir)) if _complete(bindir) else None
    candidates = _bindir_candidates()
    if candidates:
        return candidates[0]
    initdb = shutil.which("initdb")
    if initdb:
        bindir = Path(initdb).resolve().parent
        if _complete(bindir):
            return PgBinaries(bindir, _major_of(bindir))
    return None


def _online_clusters() -> set[tuple[str, str]]:
    if not shutil.which("pg_lsclusters"):
        return set()
    out = subprocess.run(
        ["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=False, timeout=60
    ).stdout
    online = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[3].startswith("online"):
            online.add((parts[0], parts[1]))
    return online


@contextlib.contextmanager
def _no_service_starts() -> Iterator[None]:
    """Debian's policy-rc.d hook (exit 101) keeps package scripts from starting services."""
    policy = Path("/usr/sbin/policy-rc.d")
    created = False
    if not policy.exists():
        try:
            policy.write_text("#!/bin/sh\n# lienthong: temporary, while apt installs postgresql\nexit 101\n")
            policy.chmod(0o755)
            created = True
        except OSError as exc:
            log.warning("could not write %s: %s", policy, exc)
    try:
        yield
    finally:
        if created:
            with contextlib.suppress(OSError):
                policy.unlink()


def _apt(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", *args]
    log.info("running %s", " ".join(cmd))
    return subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, timeout=APT_TIMEOUT_S)


def ensure_installed() -> PgBinaries:
    """Find the server binaries; install Debian's ``postgresql`` with apt when they are missing.

    Debian's own "main" cluster is never started (policy-rc.d during the install, and stopped
    afterwards if the package scripts started it anyway).
    """
    found = find_binaries()
    if found:
        return found
    if os.environ.get(ENV_BINDIR):
        raise PostgresNotInstalled(
            f"{ENV_BINDIR}={os.environ[ENV_BINDIR]!r} has no executable initdb, pg_ctl and postgres"
        )
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise PostgresNotInstalled(
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found under "
            "/usr/lib/postgresql/*/bin or on PATH, and this process cannot install them "
            "(needs root and apt-get). Install them with: apt-get install -y postgresql, "
            f"or point {ENV_BINDIR} at a bin directory."
        )
    before = _online_clusters()
    with _no_service_starts():
        result = _apt(["install", "-y", "--no-install-recommends", "postgresql"])
        if result.returncode != 0:
            log.info("apt-get install failed (%s); running apt-get update", result.returncode)
            update = _apt(["update"])
            if update.returncode != 0:
                raise PostgresNotInstalled(f"apt-get update failed:\n{_tail(update.stderr or update.stdout)}")
            result = _apt(["install", "-y", "--no-install-recommends", "postgresql"])
    started = _online_clusters() - before
    for version, name in sorted(started):
        log.info("stopping Debian's cluster %s/%s started by the package install", version, name)
        subprocess.run(
            ["pg_ctlcluster", version, name, "stop"], capture_output=True, check=False, timeout=120
        )
    if result.returncode != 0:
        raise PostgresNotInstalled(
            f"apt-get install -y postgresql failed ({result.returncode}):\n"
            f"{_tail(result.stderr or result.stdout)}"
        )
    found = find_binaries()
    if not found:
        raise PostgresNotInstalled(
            "apt-get install postgresql succeeded but no initdb/pg_ctl/postgres was found "
            "under /usr/lib/postgresql/*/bin"
        )
    return found


# --------------------------------------------------------------------------------------------
# Helpers


def _tail(text: str | None, lines: int = 30) -> str:
    return "\n".join((text or "").strip().splitlines()[-lines:])


def _check_name(name: str) -> str:
    if not _NAME_RE.match(name):
        raise ValueError(f"{name!r} is not a plain lower-case SQL identifier ([a-z_][a-z0-9_]*, max 63)")
    return name


def _is_root() -> bool:
    return os.geteuid() == 0


def _pg_account() -> pwd.struct_passwd:
    """The OS account that owns and runs the cluster."""
    if not _is_root():
        return pwd.getpwuid(os.geteuid())
    try:
        return pwd.getpwnam(PG_OS_USER)
    except KeyError:
        log.info("creating system user %s", PG_OS_USER)
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
             "--shell", "/usr/sbin/nologin", PG_OS_USER],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        return pwd.getpwnam(PG_OS_USER)


def _as_pg_user(cmd: Sequence[str]) -> list[str]:
    if _is_root():
        if not shutil.which("runuser"):
            raise PostgresError("running as root needs `runuser` (util-linux) to run PostgreSQL as postgres")
        return ["runuser", "-u", PG_OS_USER, "--", *cmd]
    return list(cmd)


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.setdefault("LANG", "C.UTF-8")
    return env


def _run_pg(cmd: Sequence[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    full = _as_pg_user(cmd)
    log.debug("running %s", " ".join(full))
    return subprocess.run(
        full, cwd=cwd, env=_child_env(), capture_output=True, text=True, check=False, timeout=timeout
    )


def _owned_dir(path: Path, account: pwd.struct_passwd, mode: int) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if _is_root():
        os.chown(path, account.pw_uid, account.pw_gid)
    path.chmod(mode)


def _make_traversable(path: Path, account: pwd.struct_passwd) -> None:
    """Give 'others' search (x) permission on every ancestor the postgres account cannot traverse."""
    if not _is_root():
        return
    groups = {account.pw_gid}
    for directory in [path, *path.parents]:
        st = directory.stat()
        if st.st_uid == account.pw_uid:
            continue
        if st.st_gid in groups and st.st_mode & stat.S_IXGRP:
            continue
        if st.st_mode & stat.S_IXOTH:
            continue
        log.info("making %s traversable (o+x) for %s", directory, account.pw_name)
        directory.chmod(stat.S_IMODE(st.st_mode) | stat.S_IXOTH)


@contextlib.contextmanager
def _locked(settings: PostgresSettings) -> Iterator[None]:
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.state_dir / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_secrets(settings: PostgresSettings) -> dict[str, str]:
    try:
        data = json.loads(settings.secrets_file.read_text("utf-8"))
    except FileNotFoundError:
        raise PostgresError(
            f"{settings.secrets_file} does not exist: run `lienthong postgres up` first"
        ) from None
    if not data.get("password") or not data.get("superuser_password"):
        raise PostgresError(f"{settings.secrets_file} is incomplete")
    return data


def _new_secret() -> str:
    # URL-safe, so it needs no quoting in a SQLAlchemy URL or a libpq conninfo.
    return secrets.token_urlsafe(24)


def _ensure_secrets(settings: PostgresSettings) -> dict[str, str]:
    path = settings.secrets_file
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            path.chmod(0o600)
        data = _read_secrets(settings)
        if data.get("user") != settings.user:
            raise PostgresError(
                f"{path} is for role {data.get('user')!r}, settings ask for {settings.user!r}; "
                "use another state_dir"
            )
        return data
    if (settings.data_dir / "PG_VERSION").exists():
        raise PostgresError(
            f"{settings.data_dir} holds a cluster but {path} is missing: its passwords are lost. "
            "Remove the state directory to start over."
        )
    data = {
        "user": settings.user,
        "password": _new_secret(),
        "superuser": SUPERUSER,
        "superuser_password": _new_secret(),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")
    return data


def _postmaster_pid(settings: PostgresSettings) -> int | None:
    """PID from postmaster.pid if that process is alive (as root or as its owner)."""
    try:
        first = (settings.data_dir / "postmaster.pid").read_text().splitlines()[0]
        pid = int(first.strip())
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():
        with contextlib.suppress(OSError):
            if b"postgres" not in cmdline.read_bytes():
                return None
    return pid


def _conf_text(settings: PostgresSettings) -> str:
    def quoted(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    return "\n".join(
        [
            "# Written by lienthong.infra.postgres on every `up`; edits are overwritten.",
            f"listen_addresses = {quoted(settings.host)}",
            f"port = {settings.port}",
            f"unix_socket_directories = {quoted(str(settings.socket_dir))}",
            "unix_socket_permissions = 0700",
            "password_encryption = 'scram-sha-256'",
            "ssl = off",
            "fsync = on",
            "max_connections = 100",
            "shared_buffers = '128MB'",
            "timezone = 'UTC'",
            "log_timezone = 'UTC'",
            "logging_collector = off",
            "log_destination = 'stderr'",
            "log_line_prefix = '%m [%p] %q%u@%d '",
            "",
        ]
    )


def _write_conf(settings: PostgresSettings, account: pwd.struct_passwd) -> bool:
    """Write lienthong.conf (and its include line). Returns True when the file changed."""
    main_conf = settings.data_dir / "postgresql.conf"
    include = f"include_if_exists = '{CONF_NAME}'"
    text = main_conf.read_text("utf-8")
    if include not in text:
        main_conf.write_text(text.rstrip("\n") + f"\n\n# lienthong\n{include}\n", "utf-8")
    conf = settings.data_dir / CONF_NAME
    new = _conf_text(settings)
    old = conf.read_text("utf-8") if conf.exists() else None
    if old == new:
        return False
    conf.write_text(new, "utf-8")
    conf.chmod(0o600)
    if _is_root():
        os.chown(conf, account.pw_uid, account.pw_gid)
    return True


def _superuser_connect(settings: PostgresSettings, dbname: str = "postgres") -> psycopg.Connection:
    data = _read_secrets(settings)
    return psycopg.connect(
        host=str(settings.socket_dir),
        port=settings.port,
        user=data.get("superuser", SUPERUSER),
        password=data["superuser_password"],
        dbname=dbname,
        autocommit=True,
        connect_timeout=10,
    )


def _bootstrap_role_and_db(settings: PostgresSettings, data: dict[str, str]) -> None:
    with _superuser_connect(settings) as conn:
        role = sql.Identifier(settings.user)
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (settings.user,)).fetchone()
        verb = "ALTER" if exists else "CREATE"
        conn.execute(
            sql.SQL(verb + " ROLE {} WITH LOGIN NOSUPERUSER PASSWORD {}").format(
                role, sql.Literal(data["password"])
            )
        )
        has_db = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (settings.database,)).fetchone()
        if not has_db:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(settings.database), role)
            )


def _initdb(settings: PostgresSettings, binaries: PgBinaries, account: pwd.struct_passwd) -> None:
    data = _read_secrets(settings)
    _owned_dir(settings.data_dir, account, 0o700)
    pwfile = settings.socket_dir / ".initdb-pw"
    pwfile.write_text(data["superuser_password"] + "\n", "utf-8")
    pwfile.chmod(0o600)
    if _is_root():
        os.chown(pwfile, account.pw_uid, account.pw_gid)
    base = [
        binaries.tool("initdb"),
        "-D", str(settings.data_dir),
        "-U", data.get("superuser", SUPERUSER),
        f"--pwfile={pwfile}",
        "--auth-local=scram-sha-256",
        "--auth-host=scram-sha-256",
        "--encoding=UTF8",
    ]  # fmt: skip
    try:
        result = _run_pg([*base, "--locale=C.UTF-8"], settings.state_dir, 300)
        if result.returncode != 0 and "locale" in (result.stderr + result.stdout).lower():
            log.info("initdb with C.UTF-8 failed; retrying with --no-locale")
            result = _run_pg([*base, "--no-locale"], settings.state_dir, 300)
    finally:
        with contextlib.suppress(OSError):
            pwfile.unlink()
    if result.returncode != 0:
        raise PostgresError(f"initdb failed ({result.returncode}):\n{_tail(result.stderr or result.stdout)}")


def _binaries_for_cluster(settings: PostgresSettings, newest: PgBinaries) -> PgBinaries:
    """The binaries of the cluster's major version (a cluster cannot be run by another major)."""
    cluster_major = int((settings.data_dir / "PG_VERSION").read_text().strip().split(".")[0])
    if not newest.major or cluster_major == newest.major:
        return newest
    matching = [b for b in _bindir_candidates() if b.major == cluster_major]
    if not matching:
        raise PostgresError(
            f"{settings.data_dir} is a PostgreSQL {cluster_major} cluster but only "
            f"{newest.major} binaries are installed"
        )
    return matching[0]


def _start(settings: PostgresSettings, binaries: PgBinaries, action: str = "start") -> None:
    cmd = [binaries.tool("pg_ctl"), action, "-D", str(settings.data_dir), "-l", str(settings.log_file),
           "-w", "-t", str(START_TIMEOUT_S), "-s"]  # fmt: skip
    if action == "restart":
        cmd += ["-m", "fast"]
    result = _run_pg(cmd, settings.state_dir, START_TIMEOUT_S + 30)
    if result.returncode != 0:
        log_tail = (
            _tail(settings.log_file.read_text("utf-8", "replace")) if settings.log_file.exists() else ""
        )
        raise PostgresError(
            f"pg_ctl {action} failed ({result.returncode}) for {settings.host}:{settings.port}:\n"
            f"{_tail(result.stderr or result.stdout)}\n--- {settings.log_file} ---\n{log_tail}"
        )


# --------------------------------------------------------------------------------------------
# Public API


def up(settings: PostgresSettings | None = None) -> PgStatus:
    """Install if needed, initdb on first use, start, create role and database. Idempotent."""
    settings = settings or PostgresSettings()
    timings: dict[str, float] = {}
    binaries = ensure_installed()
    with _locked(settings):
        account = _pg_account()
        settings.state_dir.chmod(0o711)
        _make_traversable(settings.state_dir, account)
        secrets_data = _ensure_secrets(settings)
        _owned_dir(settings.log_dir, account, 0o700)
        _owned_dir(settings.socket_dir, account, 0o700)

        if not (settings.data_dir / "PG_VERSION").exists():
            t0 = time.monotonic()
            _initdb(settings, binaries, account)
            timings["initdb_s"] = round(time.monotonic() - t0, 3)
            log.info("initdb of %s took %.2fs", settings.data_dir, timings["initdb_s"])
        else:
            binaries = _binaries_for_cluster(settings, binaries)

        changed = _write_conf(settings, account)
        pid = _postmaster_pid(settings)
        t0 = time.monotonic()
        if pid is None:
            _start(settings, binaries)
            timings["start_s"] = round(time.monotonic() - t0, 3)
        elif changed:
            log.info("configuration changed; restarting the server (pid %s)", pid)
            _start(settings, binaries, "restart")
            timings["restart_s"] = round(time.monotonic() - t0, 3)

        t0 = time.monotonic()
        _bootstrap_role_and_db(settings, secrets_data)
        timings["bootstrap_s"] = round(time.monotonic() - t0, 3)

    result = status(settings)
    result.timings = timings
    if not result.ready:
        raise PostgresError(f"server started but is not ready: {result.error}")
    return result


def down(settings: PostgresSettings | None = None) -> PgStatus:
    """Stop the server (``pg_ctl stop -m fast``). A server that is not running is left alone."""
    settings = settings or PostgresSettings()
    with _locked(settings):
        if _postmaster_pid(settings) is not None:
            newest = find_binaries()
            if newest is None:
                raise PostgresNotInstalled("cannot stop the server: pg_ctl was not found")
            binaries = _binaries_for_cluster(settings, newest)
            cmd = [binaries.tool("pg_ctl"), "stop", "-D", str(settings.data_dir), "-m", "fast",
                   "-w", "-t", str(START_TIMEOUT_S), "-s"]  # fmt: skip
            result = _run_pg(cmd, settings.state_dir, START_TIMEOUT_S + 30)
            if result.returncode != 0 and _postmaster_pid(settings) is not None:
                raise PostgresError(f"pg_ctl stop failed ({result.returncode}):\n{_tail(result.stderr)}")
    return status(settings)


def status(settings: PostgresSettings | None = None) -> PgStatus:
    """Running and ready, decided by logging in over TCP as the application role and running SELECT 1."""
    settings = settings or PostgresSettings()
    initialized = (settings.data_dir / "PG_VERSION").exists()
    pid = _postmaster_pid(settings) if initialized else None
    result = PgStatus(
        running=pid is not None,
        ready=False,
        initialized=initialized,
        host=settings.host,
        port=settings.port,
        database=settings.database,
        user=settings.user,
        state_dir=str(settings.state_dir),
        data_dir=str(settings.data_dir),
        socket_dir=str(settings.socket_dir),
        pid=pid,
    )
    if not initialized:
        result.error = f"no cluster in {settings.data_dir}"
        return result
    try:
        with psycopg.connect(conninfo(settings), connect_timeout=3) as conn:
            one = conn.execute("SELECT 1").fetchone()
            row = conn.execute(
                "SELECT current_setting('server_version'), current_setting('server_version_num')::int"
            ).fetchone()
        result.ready = one == (1,)
        if row:
            result.version, result.version_num = row[0], row[1]
        result.running = True
    except (psycopg.Error, PostgresError) as exc:
        result.error = str(exc).strip() or type(exc).__name__
    return result


def conninfo(settings: PostgresSettings | None = None, database: str | None = None) -> str:
    """A libpq connection string (TCP, application role) for psycopg.connect."""
    settings = settings or PostgresSettings()
    return psycopg.conninfo.make_conninfo(
        host=settings.host,
        port=settings.port,
        user=settings.user,
        password=settings.password,
        dbname=database or settings.database,
    )


def url(settings: PostgresSettings | None = None, database: str | None = None) -> str:
    """SQLAlchemy URL: ``postgresql+psycopg://user:pw@127.0.0.1:port/db``."""
    settings = settings or PostgresSettings()
    db = _check_name(database) if database else settings.database
    return (
        f"postgresql+psycopg://{quote(settings.user, safe='')}:{quote(settings.password, safe='')}"
        f"@{settings.host}:{settings.port}/{db}"
    )


def create_database(settings: PostgresSettings | None, name: str, *, exist_ok: bool = False) -> str:
    """Create database ``name`` owned by the application role and return its SQLAlchemy URL."""
    settings = settings or PostgresSettings()
    _check_name(name)
    with _superuser_connect(settings) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and not exist_ok:
            raise PostgresError(f"database {name!r} already exists")
        if not exists:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(name), sql.Identifier(settings.user)
                )
            )
    return url(settings, name)


def drop_database(settings: PostgresSettings | None, name: str) -> None:
    """Drop database ``name`` (terminating its sessions); a missing database is fine."""
    settings = settings or PostgresSettings()
    _check_name(name)
    if name in {settings.database, "postgres", "template0", "template1"}:
        raise PostgresError(f"refusing to drop {name!r}")
    with _superuser_connect(settings) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
