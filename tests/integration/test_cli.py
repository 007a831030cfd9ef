"""The commands a user types: the broker's status over SASL, `serve` with no broker, `demo`, provisioning."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from lienthong.agencies import default_registry
from lienthong.infra.kafka import EXCHANGE_PRINCIPAL
from lienthong.infra.kafka.provision import provision_remote

CLI = [sys.executable, "-m", "lienthong.cli"]


def _clean_env(tmp_path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    return {**env, "LIENTHONG_DATA_DIR": str(tmp_path), **extra}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.kafka
def test_kafka_status_reports_a_ready_sasl_broker_with_the_standard_authorizer(kafka_broker):
    settings = kafka_broker.settings
    out = subprocess.run(
        [
            *CLI,
            "kafka",
            "--state-dir",
            str(settings.state_dir),
            "--port",
            str(settings.port),
            "status",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    status = json.loads(out.stdout)
    assert status["ready"] is True
    assert "SCRAM-SHA-512" in status["security"] and "SASL_PLAINTEXT" in status["security"]
    assert status["authorizer"].endswith("StandardAuthorizer")


def test_kafka_status_says_not_ready_and_exits_1_when_no_broker_runs(tmp_path):
    out = subprocess.run(
        [*CLI, "kafka", "--state-dir", str(tmp_path / "none"), "--port", str(_free_port()), "status"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_clean_env(tmp_path),
    )
    assert out.returncode == 1


def test_serve_answers_http_with_no_broker_configured(tmp_path):
    port = _free_port()
    proc = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)],
        env=_clean_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proc.poll() is None, "serve did not answer"
                time.sleep(0.2)
        assert health.json() == {"status": "ok", "runtime": "embedded"}
        assert httpx.get(f"http://127.0.0.1:{port}/v1/cases").status_code == 401
        assert "/v1/submissions" in httpx.get(f"http://127.0.0.1:{port}/openapi.json").json()["paths"]
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_demo_loads_synthetic_cases_through_the_api_and_shows_the_caseload(tmp_path):
    env = _clean_env(tmp_path, LIENTHONG_HTTP_PORT=str(_free_port()))
    out = subprocess.run(
        [*CLI, "demo", "--cases", "4", "--no-serve"], capture_output=True, text=True, timeout=300, env=env
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "chấp nhận / accepted" in out.stdout and "caseload by commune" in out.stdout
    verify = subprocess.run([*CLI, "verify"], capture_output=True, text=True, timeout=120, env=env)
    report = json.loads(verify.stdout)
    assert verify.returncode == 0 and report["ok"] and report["cases"] == 4
    again = subprocess.run(
        [*CLI, "demo", "--cases", "4", "--no-serve"], capture_output=True, text=True, timeout=300, env=env
    )  # same seed, same submission ids: first outcomes, no new events
    assert again.returncode == 0
    assert (
        json.loads(subprocess.run([*CLI, "verify"], capture_output=True, text=True, env=env).stdout)["events"]
        == report["events"]
    )


@pytest.mark.kafka
def test_remote_provisioning_is_idempotent_and_grants_the_exchange_its_acls(kafka_broker):
    codes = default_registry().kafka_agencies()
    first = provision_remote(kafka_broker.admin_config(), codes, 2)
    second = provision_remote(kafka_broker.admin_config(), codes, 2)
    assert second.created_topics == [] and second.created_acls == 0 and second.deleted_acls == 0
    assert "lienthong.events" in first.topics and f"lienthong.inbox.{codes[0]}" in first.topics
    assert EXCHANGE_PRINCIPAL == "lienthong-exchange"
