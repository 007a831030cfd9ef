"""Named fault-injection points for the crash tests (off unless LIENTHONG_FAILPOINTS is set).

LIENTHONG_FAILPOINTS="projector.before_commit=/tmp/marker:30" makes the process touch the marker
file and pause 30 s each time it reaches that point, so a test can SIGKILL it exactly there.
"""

from __future__ import annotations

import os
import time
from functools import cache
from pathlib import Path


@cache
def _armed() -> dict[str, tuple[Path, float]]:
    points: dict[str, tuple[Path, float]] = {}
    for item in filter(None, os.environ.get("LIENTHONG_FAILPOINTS", "").split(",")):
        name, _, spec = item.partition("=")
        marker, _, seconds = spec.rpartition(":")
        points[name.strip()] = (Path(marker), float(seconds))
    return points


def hit(name: str) -> None:
    armed = _armed().get(name)
    if armed is None:
        return
    marker, seconds = armed
    marker.write_text(str(os.getpid()))
    time.sleep(seconds)
