"""The benchmark harness works end to end (`lienthong bench --quick --tiny`). Benchmarks are not tests:
this proves only that every scenario runs and the report is complete, on the session's broker and
PostgreSQL, with tiny sizes."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings

import pytest

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

SUMMARY_KEYS = (
    "write_ratio_vs_kafka_python",
    "rebuild_ratio_vs_decode_sqlite",
    "rebuild_events_per_s_postgres",
    "e2e_p99_ms_at_200",
    "per_event_cost_growth_1e4_to_1e6",
)
# The floors that say how far each goal is from what the code and the storage allow.
FLOOR_KEYS = (
    "write_domain_floor_us",
    "write_max_ratio_vs_kafka_python_1p",
    "rebuild_logic_floor_us_per_fact",
    "rebuild_write_floor_us_per_fact_sqlite",
    "rebuild_write_floor_us_per_fact_postgres",
    "rebuild_max_ratio_vs_decode_storage_bound_sqlite",
    "rebuild_max_events_per_s_all_cores_sqlite",
    "rebuild_logic_budget_us_per_fact_postgres",
)
# How much of the write ratio is the draw: each exchange repetition over the pipe repetition beside it.
NOISE_KEYS = ("write_ratio_paired_median",)


def _bench_command() -> list[str]:
    """`lienthong bench` once the CLI mounts it, else the module itself."""
    from lienthong.cli import main

    if "bench" in main.commands:
        return [sys.executable, "-m", "lienthong.cli", "bench"]
    return [sys.executable, "-m", "lienthong.bench.cli"]


@pytest.mark.timeout(300)
def test_bench_quick_tiny_writes_json_markdown_and_plots(postgres_url, tmp_path):
    # The bench starts a private broker: its 1- and 2-partition runs recreate topics, which must not
    # disturb the session broker that the other Kafka tests share.
    out = tmp_path / "results"
    proc = subprocess.run(
        [
            *_bench_command(),
            "--quick",
            "--tiny",
            "--out",
            str(out),
            "--postgres-url",
            postgres_url,
        ],
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    (report,) = out.glob("*.json")
    doc = json.loads(report.read_text())
    for name, scenario in doc["scenarios"].items():
        # A stalled worker restarted by the harness (as its supervisor would) still lets the run finish;
        # its watchdog verdict, with every thread's stack, is shown in the warnings summary.
        for worker, verdicts in scenario.get("worker_restarts", {}).items():
            warnings.warn(f"bench {name}: {worker} stalled and was restarted: {verdicts}", stacklevel=1)
    errors = "\n".join(doc["errors"])  # a str message: pytest prints it whole (a tuple's repr is cut)
    for key in SUMMARY_KEYS + FLOOR_KEYS + NOISE_KEYS:
        value = doc["summary"][key]
        assert isinstance(value, int | float) and math.isfinite(value), f"{key}={value}; errors:\n{errors}"
    assert set(doc["summary"]["goals"]) >= {k for k in SUMMARY_KEYS}
    assert set(doc["scenarios"]) == {"write", "rebuild", "latency", "embedded", "growth"}

    markdown = report.with_suffix(".md").read_text()
    assert "Domain floor" in markdown and "write floor" in markdown
    assert "Can the goal be met on this machine?" in markdown and "Where the logic floor goes" in markdown
    assert isinstance(doc["summary"]["rebuild_goal_reachable_postgres"], bool)
    assert doc["machine"]["cpu_model"] and doc["machine"]["cpu_model"] in markdown
    pngs = sorted(p.name.rsplit("-", 1)[-1] for p in out.glob("*.png"))
    assert pngs == ["embedded.png", "growth.png", "latency.png", "rebuild.png", "write.png"]
    assert all(p.stat().st_size > 1000 for p in out.glob("*.png"))
