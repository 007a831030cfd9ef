"""The project's own PostgreSQL server, against a real cluster (``-p tests.fixtures.postgres``)."""

from __future__ import annotations

import json
import re
import stat
import uuid
from urllib.parse import quote

import psycopg
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from lienthong.infra.postgres import (
    PostgresSettings,
    create_database,
    down,
    drop_database,
    ensure_installed,
    status,
    up,
    url,
)
from lienthong.infra.postgres.cli import postgres as postgres_cli

pytestmark = pytest.mark.postgres


def _engine(database_url: str) -> sa.Engine:
    return sa.create_engine(database_url, poolclass=sa.NullPool)


def test_status_is_ready_with_a_real_server_version(postgres_server: PostgresSettings) -> None:
    result = status(postgres_server)

    assert result.ready, result.error
    assert result.running and result.initialized
    assert result.pid and result.pid > 0
    assert result.version and re.match(r"^\d+\.\d+", result.version), result.version
    assert result.version_num and result.version_num >= 130000
    assert result.version_num // 10000 == ensure_installed().major
    with psycopg.connect(
        host=postgres_server.host,
        port=postgres_server.port,
        user=postgres_server.user,
        password=postgres_server.password,
        dbname=postgres_server.database,
    ) as conn:
        (banner,) = conn.execute("SELECT version()").fetchone()
        (listen,) = conn.execute("SHOW listen_addresses").fetchone()
        (port,) = conn.execute("SHOW port").fetchone()
        (is_super,) = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    assert banner.startswith(f"PostgreSQL {result.version.split()[0]}")
    assert listen == "127.0.0.1"
    assert int(port) == postgres_server.port
    assert is_super is False


def test_up_is_idempotent_and_url_has_the_expected_shape(postgres_server: PostgresSettings) -> None:
    before = status(postgres_server)
    again = up(postgres_server)

    assert again.ready and again.pid == before.pid  # not restarted, not re-initialised
    assert "initdb_s" not in again.timings and "start_s" not in again.timings
    assert url(postgres_server) == (
        f"postgresql+psycopg://{postgres_server.user}:{quote(postgres_server.password, safe='')}"
        f"@127.0.0.1:{postgres_server.port}/{postgres_server.database}"
    )


def test_status_cli_reports_json_and_exit_code(postgres_server: PostgresSettings) -> None:
    runner = CliRunner()
    args = ["--state-dir", str(postgres_server.state_dir), "--port", str(postgres_server.port)]

    ok = runner.invoke(postgres_cli, [*args, "status", "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["ready"] is True

    printed = runner.invoke(postgres_cli, [*args, "url"])
    assert printed.exit_code == 0 and printed.output.strip() == url(postgres_server)

    wrong_port = runner.invoke(postgres_cli, [*args[:2], "--port", "1", "status", "--json"])
    assert wrong_port.exit_code == 1
    assert json.loads(wrong_port.output)["ready"] is False


def test_a_created_database_is_isolated_from_another(
    postgres_server: PostgresSettings, postgres_url: str
) -> None:
    other_name = f"t_other_{uuid.uuid4().hex[:12]}"
    other_url = create_database(postgres_server, other_name)
    try:
        assert other_url != postgres_url
        with _engine(postgres_url).begin() as conn:
            conn.execute(sa.text("CREATE TABLE only_here (id int PRIMARY KEY, note text)"))
            conn.execute(sa.text("INSERT INTO only_here VALUES (1, 'một')"))
        with _engine(other_url).connect() as conn:
            assert conn.execute(sa.text("SELECT to_regclass('public.only_here')")).scalar() is None
            conn.execute(sa.text("CREATE TABLE only_here (id int PRIMARY KEY)"))  # same name: no clash
            conn.commit()
            assert conn.execute(sa.text("SELECT count(*) FROM only_here")).scalar() == 0
        with _engine(postgres_url).connect() as conn:
            assert conn.execute(sa.text("SELECT note FROM only_here WHERE id = 1")).scalar() == "một"
            assert conn.execute(sa.text("SELECT current_database()")).scalar() != other_name
        with pytest.raises(Exception, match="already exists"):
            create_database(postgres_server, other_name)
    finally:
        drop_database(postgres_server, other_name)
    with pytest.raises(sa.exc.OperationalError), _engine(other_url).connect():
        pass


def test_down_then_up_keeps_committed_data(postgres_server: PostgresSettings, postgres_url: str) -> None:
    marker = uuid.uuid4().hex
    with _engine(postgres_url).begin() as conn:
        conn.execute(sa.text("CREATE TABLE durable (marker text NOT NULL)"))
        conn.execute(sa.text("INSERT INTO durable VALUES (:m)"), {"m": marker})
    old_pid = status(postgres_server).pid

    try:
        stopped = down(postgres_server)
        assert not stopped.running and not stopped.ready
        assert status(postgres_server).ready is False
        with pytest.raises(sa.exc.OperationalError), _engine(postgres_url).connect():
            pass
    finally:
        started = up(postgres_server)  # also when an assertion above failed: later tests need it
    assert started.ready and started.pid != old_pid
    assert "initdb_s" not in started.timings  # the same cluster, not a new one
    with _engine(postgres_url).connect() as conn:
        assert conn.execute(sa.text("SELECT marker FROM durable")).scalars().all() == [marker]


def test_password_is_generated_secret_and_a_wrong_one_is_refused(postgres_server: PostgresSettings) -> None:
    secrets_file = postgres_server.secrets_file
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    stored = json.loads(secrets_file.read_text())
    password = postgres_server.password
    assert password == stored["password"]
    assert len(password) >= 20
    assert password not in {"", "postgres", "lienthong", "password", "secret", "admin"}
    assert stored["superuser_password"] != password

    def connect(user: str, pw: str | None) -> psycopg.Connection:
        kwargs = {"password": pw} if pw is not None else {}
        return psycopg.connect(
            host=postgres_server.host,
            port=postgres_server.port,
            user=user,
            dbname=postgres_server.database,
            connect_timeout=5,
            **kwargs,
        )

    with connect(postgres_server.user, password) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    for user, pw in [
        (postgres_server.user, password + "x"),
        (postgres_server.user, ""),
        (postgres_server.user, "lienthong"),
        ("postgres", "postgres"),
        ("postgres", ""),
    ]:
        with pytest.raises(psycopg.OperationalError, match="password authentication failed|no password"):
            connect(user, pw).close()
    wrong_url = url(postgres_server).replace(quote(password, safe=""), "not-the-password")
    with (
        pytest.raises(sa.exc.OperationalError, match="password authentication failed"),
        _engine(wrong_url).connect(),
    ):
        pass
