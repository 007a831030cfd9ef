"""Scenario 4: the embedded runtime, submissions per second through the HTTP API with the SQLite log.

``lienthong serve`` as a process, closed loop: ``embedded_concurrency`` clients each POST their next
submission when the last one was answered (201/409/422 means decided, logged with fsync and projected).
Ceilings beside it, same run: the same server answering ``GET /healthz`` at the same concurrency (the
HTTP stack alone), and the same exchange in process with no HTTP (decide + durable append + projections).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any

from lienthong.bench import data, http_load
from lienthong.bench.harness import Harness, embedded_env
from lienthong.bench.profiling import py_spy
from lienthong.bench.stats import summary_ms

log = logging.getLogger(__name__)


def in_process(harness: Harness, bodies: list[data.Body]) -> dict[str, Any]:
    """EmbeddedExchange.submit with no HTTP: what the server does per request, minus the web stack."""
    from lienthong.config import Settings
    from lienthong.wiring import build_services

    tmp = harness.path("embedded-inproc")
    services = build_services(
        Settings(
            data_dir=tmp,
            kafka_bootstrap=None,
            database_url_override=None,
            eventlog_url_override=None,
            keystore_url_override=None,
            master_key=None,
        )
    )
    exchange = services.backend
    subs = []
    for agency, body in bodies:
        sealed_ref = None
        sealed = None
        if body.get("personal_data"):
            sealed_ref = f"P-{body['case_id']}"
            sealed = services.keystore.seal(sealed_ref, body["personal_data"])
        sub = data.as_submission(agency, {**body, "personal_data": None})
        if sealed is not None:
            import dataclasses

            sub = dataclasses.replace(sub, subject_person_ref=sealed_ref, sealed_personal_data=sealed)
        subs.append(sub)
    started = time.perf_counter()
    for sub in subs:
        exchange.submit(sub)
    elapsed = time.perf_counter() - started
    return {
        "submissions": len(subs),
        "seconds": round(elapsed, 3),
        "per_s": len(subs) / elapsed if elapsed else 0.0,
        "what": "EmbeddedExchange.submit in process (decide, fsync'd SQLite append, projections)",
    }


def run(harness: Harness, cfg: Any) -> dict[str, Any]:
    n = cfg.embedded_submissions
    conc = cfg.embedded_concurrency
    bodies = data.interleave(data.submissions(n, seed=cfg.seed + 2000), width=16 * conc)
    expected = {d.submission_id: d.kind for d in data.decide_all(bodies)}
    keys = http_load.agency_keys(data.agencies_of(bodies))
    data_dir = harness.path("embedded")
    env = embedded_env(data_dir, LIENTHONG_AGENCY_KEYS=http_load.keys_env(keys))
    out: dict[str, Any] = {"submissions": n, "concurrency": conc, "errors": []}
    server, url = http_load.start_server(harness, "serve", env, "embedded-serve")
    try:
        http_load.closed_loop(url, keys, data.submissions(30, seed=cfg.seed + 2999), 1)  # warm-up
        spy: dict[str, Any] = {}
        if cfg.profile:
            with py_spy(server.pid, harness.path("profiles") / "embedded-serve.txt") as spy:
                recs, elapsed = http_load.closed_loop(url, keys, bodies, conc)
        else:
            recs, elapsed = http_load.closed_loop(url, keys, bodies, conc)
        server.sample()
        outcomes = Counter(r.outcome or "error" for r in recs)
        errors = [r.error for r in recs if r.error]
        mismatches = sum(
            1
            for r in recs
            if r.outcome in ("accepted", "rejected")
            and r.outcome != ("accepted" if expected.get(r.submission_id) == "event" else "rejected")
        )
        out["http"] = {
            "seconds": round(elapsed, 3),
            "per_s": n / elapsed if elapsed else 0.0,
            "outcomes": dict(outcomes),
            "response_ms": summary_ms([r.answered - r.started for r in recs if not r.error]),
            "error_count": len(errors),
            "error_examples": errors[:5],
            "outcome_mismatches": mismatches,
            "server": {"peak_rss": server.peak_rss, "cpu_s": server.cpu_s},
            "_raw": {"response": [r.answered - r.started for r in recs if not r.error]},
        }
        if spy:
            out["profile_server"] = spy
        out["errors"].extend(errors[:5])
        probes = [("", {"submission_id": f"probe-{i}"}) for i in range(min(n, 3000))]
        hrecs, helapsed = http_load.closed_loop(url, keys, probes, conc, path="healthz")
        out["ceiling_http_healthz"] = {
            "requests": len(hrecs),
            "seconds": round(helapsed, 3),
            "per_s": len(hrecs) / helapsed if helapsed else 0.0,
            "errors": sum(1 for r in hrecs if r.error or r.status != 200),
        }
    finally:
        server.stop()
    try:
        out["ceiling_in_process"] = in_process(harness, data.submissions(min(n, 3000), seed=cfg.seed + 3000))
    except Exception as exc:
        log.exception("in-process embedded ceiling failed")
        out["errors"].append(f"in-process: {type(exc).__name__}: {exc}")
    http = out.get("http", {}).get("per_s")
    for key in ("ceiling_in_process", "ceiling_http_healthz"):
        ceiling = out.get(key, {}).get("per_s")
        out[f"ratio_vs_{key.removeprefix('ceiling_')}"] = http / ceiling if http and ceiling else None
    return out
