"""What the figures were measured on: CPU, cores, memory, load, versions and the commit."""

from __future__ import annotations

import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PACKAGES = (
    "lienthong",
    "kafka-python",
    "faust-streaming",
    "aiokafka",
    "fastavro",
    "SQLAlchemy",
    "psycopg",
    "fastapi",
    "uvicorn",
    "aiohttp",
    "matplotlib",
    "pyinstrument",
    "py-spy",
    "crc32c",
)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _cpu_mhz() -> float | None:
    try:
        found = re.findall(r"cpu MHz\s*:\s*([\d.]+)", Path("/proc/cpuinfo").read_text())
        return round(sum(map(float, found)) / len(found), 1) if found else None
    except OSError:
        return None


def memory_bytes() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _run(cmd: list[str], cwd: Path | None = None) -> str | None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=20, cwd=cwd, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (proc.stdout or proc.stderr).strip()
    return text if proc.returncode == 0 or text else None


def git() -> dict[str, Any]:
    commit = _run(["git", "rev-parse", "HEAD"], REPO)
    status = _run(["git", "status", "--porcelain", "--untracked-files=no"], REPO)
    bench = _run(["git", "status", "--porcelain", "--", "bench", "infra/kafka/tools-pom.xml"], REPO)
    return {
        "commit": commit,
        "short": commit[:10] if commit else None,
        "dirty": bool(status),
        "bench_uncommitted": bool(bench),
        "branch": _run(["git", "rev-parse", "--abbrev-ref", "HEAD"], REPO),
    }


def versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def java_version() -> str | None:
    java = shutil.which("java")
    if not java:
        return None
    text = _run([java, "-version"])
    return text.splitlines()[0] if text else None


def describe() -> dict[str, Any]:
    from lienthong.bench.ceilings import TOOLS_VERSION
    from lienthong.infra.kafka import KAFKA_VERSION

    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu_model": cpu_model(),
        "cpu_mhz": _cpu_mhz(),
        "cores": os.cpu_count(),
        "cores_usable": affinity,
        "memory_bytes": memory_bytes(),
        "memory_gib": round((memory_bytes() or 0) / 2**30, 1),
        "load_average_at_start": load_average(),
        "os": f"{platform.system()} {platform.release()}",
        "hostname": platform.node(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "sqlite": sqlite3.sqlite_version,
        "java": java_version(),
        "kafka_broker": KAFKA_VERSION,
        "kafka_tools": TOOLS_VERSION,
        "packages": versions(),
        "git": git(),
    }
