"""`lienthong demo`: synthetic multi-agency cases through the public HTTP API, then the views."""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections import Counter
from pathlib import Path

import click
import httpx
import uvicorn

from lienthong.client import Client
from lienthong.config import Settings
from lienthong.gateway.app import create_app
from lienthong.scenarios import cases as scenario_cases
from lienthong.wiring import build_services


def start_server(settings: Settings, port: int) -> tuple[uvicorn.Server, threading.Thread, str]:
    services = build_services(settings)
    server = uvicorn.Server(
        uvicorn.Config(create_app(services), host=settings.http_host, port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://{settings.http_host}:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return server, thread, url
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"the HTTP server did not answer on {url}")


def demo_keys(settings: Settings, services, agencies: set[str]) -> dict[str, str]:
    """One API key per agency in the demo, kept in a 0600 file so the user can try the API afterwards."""
    path: Path = settings.data_dir / "demo-keys.json"
    if path.exists():
        keys = json.loads(path.read_text())
        if set(keys) >= agencies and all(services.credentials.authenticate(k) == c for c, k in keys.items()):
            return keys
    keys = {code: services.credentials.issue(code) for code in sorted(agencies | {"DD-111"})}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(keys, fh, indent=1)
    return keys


def run_demo(settings: Settings, *, cases: int, seed: int, keep_serving: bool, port: int | None) -> None:
    server, thread, url = start_server(settings, port or settings.http_port)
    services = server.config.app.state.services
    history = list(scenario_cases(cases, seed=seed, registry=services.registry))
    keys = demo_keys(settings, services, {agency for agency, _ in history})
    clients: dict[str, Client] = {}
    tally: Counter[str] = Counter()
    example = None
    for agency, body in history:
        client = clients.setdefault(agency, Client(url, keys[agency]))
        outcome = client.submit(body)
        tally[outcome["status"]] += 1
        if outcome["status"] == "rejected" and example is None:
            example = outcome["rejection"]
    click.echo(
        f"\nĐã gửi / submitted: {sum(tally.values())}  chấp nhận / accepted: {tally['accepted']}  "
        f"từ chối / rejected: {tally['rejected']}"
    )
    if example:
        click.echo(f"  Ví dụ từ chối: {example['message_vi']}\n  Example refusal: {example['message_en']}")
    health = next(code for code in keys if code.startswith("SYT-48"))
    caseload = clients.setdefault(health, Client(url, keys[health])).get("/v1/views/commune-caseload")
    click.echo("\nSở Y tế Đà Nẵng — số hồ sơ theo xã / caseload by commune:")
    click.echo(
        f"  {'xã/unit':8} {'mở/open':>8} {'đóng/closed':>12} {'người/persons':>14} {'nạn nhân/victims':>17}"
    )
    for row in caseload:
        click.echo(
            f"  {row['unit_code']:8} {row['open_cases']:>8} {row['closed_cases']:>12} "
            f"{row['persons']:>14} {row['identified_victims']:>17}"
        )
    for client in clients.values():
        client.close()
    if keep_serving:
        click.echo(
            f"\nĐang phục vụ / serving {url}  (API docs: {url}/docs; "
            f"agency keys: {settings.data_dir / 'demo-keys.json'}). Ctrl-C to stop."
        )
        with contextlib.suppress(KeyboardInterrupt):
            thread.join()
    server.should_exit = True
    thread.join(timeout=10)
