"""HTTP load against the real server process: open-loop at a fixed rate, or closed-loop at a concurrency.

The server is ``lienthong serve`` (embedded) or ``lienthong gateway`` (Kafka) started as a process with
agency keys handed in through ``LIENTHONG_AGENCY_KEYS``. The client is aiohttp on one event loop in the
bench process. Open-loop latencies are measured from the *scheduled* send time, so a client or server
that falls behind shows up in the figures instead of silently lowering the load.

Visibility through the read API is watched by polling the read-model database the API answers from
(``submission_outcomes``, the table behind ``GET /v1/submissions/{id}``) every ``POLL_S``; a sample of
submissions is then checked through the HTTP read API itself.
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lienthong.bench.data import Body
from lienthong.bench.harness import Harness, Worker, free_ports, wait_until

POLL_S = 0.01
OK_STATUSES = {201, 202, 409, 422}


def agency_keys(agencies: Iterable[str]) -> dict[str, str]:
    """One key per agency in the format the gateway accepts (``lt_<id>_<secret>``)."""
    return {code: f"lt_{secrets.token_hex(8)}_{secrets.token_urlsafe(32)}" for code in sorted(set(agencies))}


def keys_env(keys: dict[str, str]) -> str:
    return ",".join(f"{code}={key}" for code, key in keys.items())


def start_server(harness: Harness, command: str, env: dict[str, str], name: str) -> tuple[Worker, str]:
    """``lienthong serve|gateway`` on a free port; returns the worker and its base URL once healthy."""
    import httpx

    port = free_ports(1)[0]
    env = {**env, "LIENTHONG_HTTP_HOST": "127.0.0.1", "LIENTHONG_HTTP_PORT": str(port)}
    worker = harness.lienthong(command, env, name=name)
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        worker.check_alive()
        try:
            return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(healthy, 120, f"{name} on {url}", 0.2)
    return worker, url


@dataclass(slots=True)
class Sent:
    submission_id: str
    scheduled: float  # monotonic clock (system-wide on Linux, as the poller's)
    started: float = 0.0
    answered: float = 0.0
    status: int = 0
    outcome: str | None = None
    error: str | None = None


class VisibilityPoller(threading.Thread):
    """Stamps the first time each submission's outcome row is in the read model (SQLite rowid scan)."""

    def __init__(self, db_path: Path, interval: float = POLL_S) -> None:
        super().__init__(name="visibility-poller", daemon=True)
        self._db_path = db_path
        self._interval = interval
        self._halt = threading.Event()
        self.seen: dict[str, float] = {}
        self.errors: list[str] = []
        self._last = 0

    def run(self) -> None:
        conn = None
        while not self._halt.is_set():
            try:
                if conn is None:
                    conn = sqlite3.connect(f"file:{self._db_path}?mode=ro", uri=True, timeout=5)
                    self._last = 0
                rows = conn.execute(
                    "SELECT rowid, submission_id FROM submission_outcomes WHERE rowid > ? ORDER BY rowid",
                    (self._last,),
                ).fetchall()
                now = time.monotonic()
                for rowid, sid in rows:
                    self.seen.setdefault(sid, now)
                    self._last = rowid
            except sqlite3.Error as exc:  # table not created yet, or locked for a moment
                if len(self.errors) < 3 and not any(
                    benign in str(exc) for benign in ("no such table", "unable to open")
                ):
                    self.errors.append(str(exc))
                if conn is not None and "unable to open" in str(exc):
                    conn.close()
                    conn = None
            self._halt.wait(self._interval)
        if conn is not None:
            conn.close()

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)


async def _post(session: Any, keys: dict[str, str], agency: str, body: dict[str, Any], rec: Sent) -> None:
    rec.started = time.monotonic()
    try:
        async with session.post(
            "/v1/submissions", json=body, headers={"Authorization": f"Bearer {keys[agency]}"}
        ) as resp:
            payload = await resp.json(content_type=None)
            rec.answered = time.monotonic()
            rec.status = resp.status
            rec.outcome = payload.get("status") if isinstance(payload, dict) else None
            if resp.status not in OK_STATUSES:
                rec.error = f"HTTP {resp.status}: {str(payload)[:200]}"
    except Exception as exc:  # timeouts, refused connections: errors of the run, not of the bench
        rec.answered = time.monotonic()
        rec.error = f"{type(exc).__name__}: {exc}"[:300]


async def _counted(
    session: Any, keys: dict[str, str], agency: str, body: dict[str, Any], rec: Sent, answered: list[int]
) -> None:
    try:
        await _post(session, keys, agency, body, rec)
    finally:
        answered[0] += 1


async def _open_loop(
    url: str, keys: dict[str, str], seq: Sequence[Body], rate: float, timeout: float, max_backlog_s: float
):
    import aiohttp

    recs = [Sent(b["submission_id"], 0.0) for _, b in seq]
    connector = aiohttp.TCPConnector(limit=512)
    overloaded_at: int | None = None
    answered = [0]
    async with aiohttp.ClientSession(
        url, connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)
    ) as session:
        t0 = time.monotonic() + 0.05
        tasks = []
        for i, (agency, body) in enumerate(seq):
            recs[i].scheduled = t0 + i / rate
            delay = recs[i].scheduled - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if i - answered[0] > rate * max_backlog_s:
                overloaded_at = i  # the server cannot keep up: stop offering more
                break
            tasks.append(asyncio.create_task(_counted(session, keys, agency, body, recs[i], answered)))
        await asyncio.gather(*tasks)
    sent = recs if overloaded_at is None else recs[:overloaded_at]
    return sent, overloaded_at


def open_loop(
    url: str,
    keys: dict[str, str],
    seq: Sequence[Body],
    rate: float,
    timeout: float = 60.0,
    max_backlog_s: float = 2.0,
) -> tuple[list[Sent], int | None]:
    """POST every submission at its scheduled time (i / rate); returns one :class:`Sent` each.

    If more than ``max_backlog_s`` seconds' worth of requests are unanswered the server is overloaded:
    sending stops there (the index is returned) rather than queueing minutes of backlog.
    """
    return asyncio.run(_open_loop(url, keys, seq, rate, timeout, max_backlog_s))


async def _closed_loop(url: str, keys: dict[str, str], seq: Sequence[Body], concurrency: int, path: str):
    import aiohttp

    recs = [Sent(b["submission_id"], 0.0) for _, b in seq]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(seq)):
        queue.put_nowait(i)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(
        url, connector=connector, timeout=aiohttp.ClientTimeout(total=120)
    ) as session:

        async def client() -> None:
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                agency, body = seq[i]
                recs[i].scheduled = time.monotonic()
                if path == "healthz":
                    recs[i].started = recs[i].scheduled
                    try:
                        async with session.get("/healthz") as resp:
                            await resp.read()
                            recs[i].status = resp.status
                    except Exception as exc:
                        recs[i].error = f"{type(exc).__name__}: {exc}"[:300]
                    recs[i].answered = time.monotonic()
                else:
                    await _post(session, keys, agency, body, recs[i])

        started = time.monotonic()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        elapsed = time.monotonic() - started
    return recs, elapsed


def closed_loop(
    url: str, keys: dict[str, str], seq: Sequence[Body], concurrency: int, path: str = "submissions"
) -> tuple[list[Sent], float]:
    """``concurrency`` clients, each sending its next request when the last was answered."""
    return asyncio.run(_closed_loop(url, keys, seq, concurrency, path))


def check_read_api(url: str, keys: dict[str, str], sample: Sequence[Body]) -> list[str]:
    """Each sampled submission has its outcome, and its case, readable through the HTTP read API."""
    import httpx

    errors: list[str] = []
    with httpx.Client(base_url=url, timeout=10) as http:
        for agency, body in sample:
            h = {"Authorization": f"Bearer {keys[agency]}"}
            r = http.get(f"/v1/submissions/{body['submission_id']}", headers=h)
            if r.status_code != 200:
                errors.append(f"GET /v1/submissions/{body['submission_id']}: {r.status_code}")
                continue
            if r.json()["status"] == "accepted":
                c = http.get(f"/v1/cases/{body['case_id']}", headers=h)
                if c.status_code not in (200, 403):  # 403: outside the agency's jurisdiction, yet found
                    errors.append(f"GET /v1/cases/{body['case_id']}: {c.status_code}")
    return errors
