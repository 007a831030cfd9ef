"""Named fault-injection points for the crash tests (off unless LIENTHONG_FAILPOINTS is set).

LIENTHONG_FAILPOINTS="projector.before_commit=/tmp/marker:30:2" lets the point pass twice, then on
the third hit touches the marker file and pauses 30 s, so a test can SIGKILL the process exactly there.
"""

from __future__ import annotations

import os
import time
from functools import cache
from pathlib import Path

_hits: dict[str, int] = {}


@cache
def _armed() -> dict[str, tuple[Path, float, int]]:
    points: dict[str, tuple[Path, float, int]] = {}
    for item in filter(None, os.environ.get("LIENTHONG_FAILPOINTS", "").split(",")):
        name, _, spec = item.partition("=")
        marker, seconds, *after = spec.split(":")
        points[name.strip()] = (Path(marker), float(seconds), int(after[0]) if after else 0)
    return points


def hit(name: str) -> None:
    armed = _armed().get(name)
    if armed is None:
        return
    marker, seconds, after = armed
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] > after:
        marker.write_text(str(os.getpid()))
        time.sleep(seconds)
