"""Debian's Chromium for the browser tests: found at /usr/bin/chromium, installed with apt when absent.

Never a Playwright browser download: Playwright drives the system binary (``executable_path``), and
``PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1`` keeps its installer from fetching one.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)

CHROMIUM = Path(os.environ.get("LIENTHONG_CHROMIUM", "/usr/bin/chromium"))
APT_TIMEOUT_S = 900
LAUNCH_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class ChromiumUnavailable(RuntimeError):
    pass


def _apt(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", *args]
    log.info("running %s", " ".join(cmd))
    return subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, timeout=APT_TIMEOUT_S)


def _tail(text: str | None, lines: int = 20) -> str:
    return "\n".join((text or "").strip().splitlines()[-lines:])


def ensure_chromium() -> Path:
    """The Chromium binary; `apt-get install -y chromium` first when it is missing (root only)."""
    if CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise ChromiumUnavailable(
            f"{CHROMIUM} is missing and this process cannot install it (needs root and apt-get): "
            "apt-get install -y chromium"
        )
    result = _apt("install", "-y", "--no-install-recommends", "chromium")
    if result.returncode != 0:
        update = _apt("update")
        if update.returncode != 0:
            raise ChromiumUnavailable(f"apt-get update failed:\n{_tail(update.stderr or update.stdout)}")
        result = _apt("install", "-y", "--no-install-recommends", "chromium")
    if result.returncode == 0 and not CHROMIUM.exists():
        raise ChromiumUnavailable(f"apt-get installed chromium, but {CHROMIUM} does not exist")
    if result.returncode != 0:
        raise ChromiumUnavailable(
            f"apt-get install -y chromium failed ({result.returncode}):\n"
            + _tail(result.stderr or result.stdout)
        )
    return CHROMIUM


if __name__ == "__main__":  # pragma: no cover - `python -m tests.browser.chromium` pre-installs it
    logging.basicConfig(level=logging.INFO)
    print(ensure_chromium())
