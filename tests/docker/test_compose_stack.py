"""The production-like stack (docker-compose.yml + Dockerfile).

* Static checks of the compose file, the Kafka config it mounts and the Dockerfile: they run
  everywhere (no Docker needed, no `docker compose config`).
* One end-to-end test through pytest-docker: it needs a Docker engine and skips, with a reason,
  only when `docker info` fails. It is the single skip allowed under CI=true.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
import shutil
import subprocess
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
KAFKA_PROPERTIES = REPO / "infra" / "docker" / "kafka" / "server.properties"
KAFKA_START = REPO / "infra" / "docker" / "kafka" / "start.sh"
POSTGRES_INIT = REPO / "infra" / "docker" / "postgres" / "init-databases.sh"
EXAMPLE_ENV = REPO / "infra" / "docker" / "example.env"

APP_SERVICES = ("gateway", "decider", "projector", "portal")
REQUIRED_SERVICES = {"kafka", "postgres", *APP_SERVICES}
ENV_CONTRACT = (
    "LIENTHONG_KAFKA_BOOTSTRAP",
    "LIENTHONG_KAFKA_USERNAME",
    "LIENTHONG_KAFKA_PASSWORD",
    "LIENTHONG_KAFKA_MECHANISM",
    "LIENTHONG_KAFKA_SECURITY_PROTOCOL",
    "LIENTHONG_DATABASE_URL",
    "LIENTHONG_KEYSTORE_URL",
    "LIENTHONG_HTTP_HOST",
    "LIENTHONG_HTTP_PORT",
    "LIENTHONG_PARTITIONS",
)
HTTP_PORTS = {"gateway": 8000, "portal": 8080}
# Container ports that carry PostgreSQL or Kafka traffic.
DATA_PORTS = {5432, 9092, 9093, 19092}
REQUIRED_VAR = re.compile(r"\$\{(?P<name>[A-Z0-9_]+):\?[^}]+\}")


# --------------------------------------------------------------------------------------------
# Static checks


@functools.cache
def _compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text("utf-8"))


def _services() -> dict[str, dict[str, Any]]:
    return _compose()["services"]


def _env(service: str) -> dict[str, str]:
    env = _services()[service].get("environment") or {}
    if isinstance(env, list):  # "KEY=value" list form
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def _properties(path: Path) -> dict[str, str]:
    props: dict[str, str] = {}
    for line in path.read_text("utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            props[key.strip()] = value.strip()
    return props


def _published(port: Any) -> tuple[str | None, int]:
    """(host_ip, container_port) of a short ("ip:host:container") or long (mapping) port entry."""
    if isinstance(port, dict):
        return port.get("host_ip"), int(str(port["target"]).split("/")[0])
    text = str(port).split("/")[0]
    # Strip ${VAR:-default} so its colons do not split the entry.
    text = re.sub(r"\$\{[^}]*\}", "HOSTPORT", text)
    parts = text.rsplit(":", 2)
    host_ip = parts[0] if len(parts) == 3 else None
    return host_ip, int(parts[-1])


def _argv(service: str) -> list[str]:
    spec = _services()[service]
    command = spec.get("command", [])
    command = command.split() if isinstance(command, str) else list(command)
    entrypoint = spec.get("entrypoint")
    if entrypoint is None:
        entrypoint = _dockerfile_entrypoint() if "build" in spec else []
    elif isinstance(entrypoint, str):
        entrypoint = entrypoint.split()
    return [*entrypoint, *command]


def _dockerfile_entrypoint() -> list[str]:
    match = re.search(r"^ENTRYPOINT\s+(\[.*\])\s*$", DOCKERFILE.read_text("utf-8"), re.MULTILINE)
    assert match, "Dockerfile has no exec-form ENTRYPOINT"
    return yaml.safe_load(match.group(1))


def test_the_decider_runs_with_the_decision_lanes_the_benchmark_measures():
    from lienthong.bench.harness import DECIDER_LANES

    assert _env("decider")["LIENTHONG_DECIDER_LANES"] == DECIDER_LANES
    assert int(DECIDER_LANES) > 1


def test_compose_has_the_six_services_and_the_one_shot_provision() -> None:
    services = _services()
    assert set(services) >= REQUIRED_SERVICES, set(services)
    assert "provision" in services
    assert services["kafka"]["image"] == "apache/kafka:4.1.1"
    assert services["postgres"]["image"] == "postgres:16"
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    for name in (*APP_SERVICES, "provision"):
        assert services[name]["build"]["context"] == "."
        assert services[name]["build"]["dockerfile"] == "Dockerfile"
    assert _argv("provision") == ["lienthong", "kafka", "provision"]
    assert services["provision"].get("restart") == "no"
    for name in APP_SERVICES:
        assert _argv(name) == ["lienthong", name]
        assert services[name]["depends_on"]["provision"]["condition"] == "service_completed_successfully"
        assert services[name]["depends_on"]["kafka"]["condition"] == "service_healthy"
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_kafka_uses_sasl_plaintext_scram_sha_512_and_deny_by_default() -> None:
    kafka = _services()["kafka"]
    mounts = " ".join(kafka["volumes"])
    assert "./infra/docker/kafka:" in mounts
    assert "start.sh" in " ".join(kafka["entrypoint"])

    props = _properties(KAFKA_PROPERTIES)
    protocol_map = dict(item.split(":") for item in props["listener.security.protocol.map"].split(","))
    listeners = dict(item.split("://") for item in props["listeners"].split(","))
    controllers = set(props["controller.listener.names"].split(","))
    client_listeners = set(listeners) - controllers
    assert client_listeners, listeners
    assert {protocol_map[name] for name in client_listeners} == {"SASL_PLAINTEXT"}
    for name in controllers:  # the one PLAINTEXT listener is on the container's loopback only
        assert listeners[name].startswith("127.0.0.1:"), listeners[name]
    assert props["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert props["sasl.mechanism.inter.broker.protocol"] == "SCRAM-SHA-512"
    assert props["process.roles"] == "broker,controller"  # KRaft, single combined node
    assert props["authorizer.class.name"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["auto.create.topics.enable"] == "false"
    assert props["transaction.state.log.replication.factor"] == "1"

    start = KAFKA_START.read_text("utf-8")
    assert start.count('--add-scram "SCRAM-SHA-512=[name=') == 2  # admin + app bootstrapped at format
    assert "format --standalone" in start
    assert "scram-sha-512.sasl.jaas.config" in start

    for name in (*APP_SERVICES, "provision"):
        env = _env(name)
        assert env["LIENTHONG_KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
        assert env["LIENTHONG_KAFKA_MECHANISM"] == "SCRAM-SHA-512"
        assert env["LIENTHONG_KAFKA_BOOTSTRAP"] == "kafka:9092"


def test_no_service_publishes_postgres_or_kafka_beyond_loopback() -> None:
    for name, spec in _services().items():
        assert spec.get("network_mode") != "host", name
        for port in spec.get("ports", []):
            host_ip, target = _published(port)
            if name in {"kafka", "postgres"} or target in DATA_PORTS:
                assert host_ip == "127.0.0.1", f"{name} publishes {port!r} beyond 127.0.0.1"
                assert target != 9093, f"{name} publishes the Kafka controller listener"
    # The sanity check itself: these forms are recognised.
    assert _published("127.0.0.1:${X:-1}:5432") == ("127.0.0.1", 5432)
    assert _published("5432:5432") == (None, 5432)
    assert _published({"target": 9092, "published": 9092}) == (None, 9092)


def test_app_services_use_the_environment_contract() -> None:
    for name in APP_SERVICES:
        env = _env(name)
        missing = [key for key in ENV_CONTRACT if key not in env]
        assert not missing, f"{name} lacks {missing}"
        assert env["LIENTHONG_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["LIENTHONG_DATABASE_URL"].endswith("@postgres:5432/lienthong")
        assert env["LIENTHONG_KEYSTORE_URL"].startswith("postgresql+psycopg://")
        assert env["LIENTHONG_HTTP_HOST"] == "0.0.0.0"
        assert re.fullmatch(r"\d+|\$\{LIENTHONG_PARTITIONS:-\d+\}", env["LIENTHONG_PARTITIONS"])
    for name, port in HTTP_PORTS.items():
        spec = _services()[name]
        assert _env(name)["LIENTHONG_HTTP_PORT"] == str(port)
        assert [_published(p)[1] for p in spec["ports"]] == [port]
        probe = " ".join(spec["healthcheck"]["test"])
        assert f"127.0.0.1:{port}/healthz" in probe, probe


def test_no_secret_has_a_committed_default() -> None:
    secret_keys = re.compile(r"PASSWORD|SECRET")
    for name in _services():
        for key, value in _env(name).items():
            if secret_keys.search(key):
                assert REQUIRED_VAR.fullmatch(value), f"{name}.{key} must be ${{VAR:?...}}, got {value!r}"
            if key.endswith("_URL") and "@" in value:
                userinfo = value.split("://", 1)[1].split("@", 1)[0]
                password = userinfo.split(":", 1)[1]
                assert REQUIRED_VAR.fullmatch(password), f"{name}.{key} embeds a literal password"
    example = _properties(EXAMPLE_ENV)
    for key, value in example.items():
        if secret_keys.search(key):
            assert value == "", f"example.env must not carry a value for {key}"
    assert "POSTGRES_PASSWORD" not in example
    init = POSTGRES_INIT.read_text("utf-8")
    assert ":?set LIENTHONG_DB_PASSWORD" in init and ":'app_pw'" in init


def test_dockerfile_builds_the_project_as_a_non_root_user() -> None:
    text = DOCKERFILE.read_text("utf-8")
    froms = re.findall(r"^FROM\s+(\S+)", text, re.MULTILINE)
    assert froms[-1] == "python:3.11-slim"
    assert re.search(r"^RUN pip install \.", text, re.MULTILINE)
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert _dockerfile_entrypoint() == ["lienthong"]
    for copied in ("pyproject.toml", "services", "schemas", "projections", "infra"):
        assert re.search(rf"^COPY .*\b{copied}\b", text, re.MULTILINE), copied


# --------------------------------------------------------------------------------------------
# End to end, with a Docker engine (pytest-docker)


@functools.cache
def docker_engine_available() -> tuple[bool, str]:
    if shutil.which("docker") is None:
        return False, "the docker CLI is not installed"
    try:
        result = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"`docker info` failed: {exc}"
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        return False, f"`docker info` failed: {detail[-1] if detail else result.returncode}"
    return True, ""


AGENCY_CODE = os.environ.get("LIENTHONG_TEST_AGENCY_CODE", "DD-111")


@pytest.fixture(scope="session")
def agency_key() -> str:
    generated = f"lt_{secrets.token_hex(8)}_{secrets.token_urlsafe(32)}"
    return os.environ.get("LIENTHONG_TEST_AGENCY_KEY") or generated


@pytest.fixture(scope="session")
def compose_environment(agency_key: str) -> None:
    """Skip without an engine; otherwise give compose fresh secrets for any that are not set."""
    available, reason = docker_engine_available()
    if not available:
        pytest.skip(f"no Docker engine answers ({reason}); the compose stack cannot run here")
    for var in (
        "KAFKA_ADMIN_PASSWORD",
        "KAFKA_APP_PASSWORD",
        "POSTGRES_SUPERUSER_PASSWORD",
        "LIENTHONG_DB_PASSWORD",
        "KEYSTORE_DB_PASSWORD",
    ):
        os.environ.setdefault(var, secrets.token_hex(24))
    keys = os.environ.get("LIENTHONG_AGENCY_KEYS", "")
    if f"{AGENCY_CODE}={agency_key}" not in keys.split(","):
        os.environ["LIENTHONG_AGENCY_KEYS"] = ",".join(filter(None, [keys, f"{AGENCY_CODE}={agency_key}"]))


@pytest.fixture(scope="session")
def docker_compose_file() -> str:
    return str(COMPOSE_FILE)


@pytest.fixture(scope="session")
def docker_compose_project_name() -> str:
    return f"lienthong-test-{os.getpid()}"


@pytest.fixture(scope="session")
def docker_setup(compose_environment: None) -> list[str]:
    return ["up --build --wait --wait-timeout 900"]


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=3).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.docker
@pytest.mark.slow
def test_a_submission_through_the_gateway_becomes_visible(
    docker_services: Any, docker_ip: str, agency_key: str
) -> None:
    port = docker_services.port_for("gateway", 8000)
    base = f"http://{docker_ip}:{port}"
    docker_services.wait_until_responsive(check=lambda: _healthy(f"{base}/healthz"), timeout=300.0, pause=2.0)

    now = datetime.now(UTC).isoformat()
    submission_id = str(uuid.uuid4())
    body = {
        "submission_id": submission_id,
        "case_id": str(uuid.uuid4()),
        "event_type": "TipReceived",
        "occurred_at": now,
        "admin_unit_code": "48",
        "actor": "op-compose-test",
        "payload": {
            "channel": "hotline_111",
            "reporter_type": "public",
            "suspected_count": 1,
            "location_code": "48",
            "exploitation_indicators": ["labour"],
            "child_flag": False,
        },
    }
    headers = {"Authorization": f"Bearer {agency_key}"}
    with httpx.Client(base_url=base, timeout=10, headers=headers) as client:
        posted = client.post("/v1/submissions", json=body)
        assert posted.status_code in {200, 201, 202}, posted.text
        submission_id = posted.json().get("submission_id", submission_id)

        deadline = time.monotonic() + 120
        seen: dict[str, Any] = {}
        while time.monotonic() < deadline:
            got = client.get(f"/v1/submissions/{submission_id}")
            if got.status_code == 200:
                seen = got.json()
                if seen.get("status") != "pending":
                    break
            time.sleep(1)
        assert seen.get("status") not in {None, "pending"}, f"still not decided after 120 s: {seen}"
        assert seen["status"] == "accepted", seen

        anonymous = httpx.get(f"{base}/v1/submissions/{submission_id}", timeout=10)
        assert anonymous.status_code in {401, 403}
