"""Where the time goes: py-spy on worker processes, pyinstrument in process, both summarised as tables.

py-spy samples another process from outside (``--nonblocking``: the target is never paused), so the
measured run itself is profiled. The raw output (collapsed stacks) is reduced to the functions with the
most samples, inclusive and self, and kept beside the results for anyone who wants the flame graph.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def _py_spy() -> str | None:
    here = Path(sys.executable).parent / "py-spy"
    return str(here) if here.exists() else shutil.which("py-spy")


@contextlib.contextmanager
def py_spy(pid: int, out: Path, rate: int = 97) -> Iterator[dict[str, Any]]:
    """Profile process ``pid`` and its children (a decider's lanes) while the block runs; the dict gets
    ``summary`` afterwards.

    Only samples of the thread holding the GIL are kept (``--gil``): the shares are then shares of the
    process's Python CPU time. Without it, every thread waiting in a poll or a lock is sampled too, and
    the summary is dominated by idle waits (``select``, ``Condition.wait``).
    """
    result: dict[str, Any] = {"tool": "py-spy", "mode": "gil", "raw": str(out)}
    exe = _py_spy()
    if exe is None:
        result["error"] = "py-spy not installed"
        yield result
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [exe, "record", "-p", str(pid), "-r", str(rate), "--nonblocking", "--gil", "--subprocesses"]
        + ["-f", "raw", "-o", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        yield result
    finally:
        # SIGINT makes py-spy stop sampling and write what it has.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 2)
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, 9)
            _, err = proc.communicate()
        if out.exists() and out.stat().st_size:
            result["summary"] = summarise_collapsed(out.read_text())
        else:
            result["error"] = (err or b"").decode(errors="replace")[-500:] or "no samples"


def summarise_collapsed(text: str, top: int = 12) -> dict[str, Any]:
    """Top functions by inclusive and self samples from collapsed stacks (``a;b;c count``)."""
    inclusive: Counter[str] = Counter()
    self_: Counter[str] = Counter()
    total = 0
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_short(f) for f in stack.split(";")]
        for f in set(frames):
            inclusive[f] += n
        self_[frames[-1]] += n
    if not total:
        return {"samples": 0, "inclusive": [], "self": []}

    def table(c: Counter[str]) -> list[dict[str, Any]]:
        return [{"function": f, "share": round(n / total, 4)} for f, n in c.most_common(top)]

    ours = Counter({f: n for f, n in _drop_roots(inclusive, total).items() if _is_ours(f)})
    return {
        "samples": total,
        "inclusive": table(_drop_roots(inclusive, total)),
        "self": table(self_),
        "ours": table(ours),
    }


def _is_ours(frame: str) -> bool:
    """A frame in the project's own code (as shortened by :func:`_short`)."""
    return any(f"({top}/" in frame for top in ("services", "projections", "schemas"))


def _drop_roots(c: Counter[str], total: int) -> Counter[str]:
    """Frames present in (nearly) every sample say nothing (<module>, thread bootstrap)."""
    return Counter({f: n for f, n in c.items() if n < 0.97 * total})


def _short(frame: str) -> str:
    # "decide (lienthong/domain/decide.py:42)" -> "decide (domain/decide.py)"
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    path = where.rsplit(":", 1)[0]
    parts = Path(path).parts
    for anchor in ("site-packages", "services", "projections", "schemas", "bench", "lib"):
        if anchor in parts:
            i = len(parts) - 1 - parts[::-1].index(anchor)
            path = "/".join(parts[i + 1 :]) if anchor in ("site-packages", "lib") else "/".join(parts[i:])
            break
    else:
        path = "/".join(parts[-2:])
    return f"{name} ({path})" if path else name


def pyinstrument_profile(fn: Callable[[], Any], out: Path) -> dict[str, Any]:
    """Run ``fn`` under pyinstrument; keep a text tree, return the top functions by self time."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        fn()
        return {"tool": "pyinstrument", "error": "pyinstrument not installed"}
    profiler = Profiler(interval=0.001)
    profiler.start()
    try:
        fn()
    finally:
        profiler.stop()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
    session = profiler.last_session
    root = session.root_frame() if session else None
    self_: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = root.time if root is not None else 0.0

    def walk(frame: Any, seen: frozenset[str]) -> None:
        name = _short(f"{frame.function} ({frame.file_path_short or frame.file_path or ''})")
        if name not in seen:
            inclusive[name] += frame.time
        self_[name] += frame.total_self_time
        for child in frame.children:
            walk(child, seen | {name})

    if root is not None:
        walk(root, frozenset())
    if not total:
        return {"tool": "pyinstrument", "text": str(out), "samples": 0}

    def table(c: Counter[str]) -> list[dict[str, Any]]:
        return [{"function": f, "share": round(v / total, 4)} for f, v in c.most_common(12)]

    return {
        "tool": "pyinstrument",
        "text": str(out),
        "seconds": round(total, 3),
        "inclusive": table(_drop_roots(inclusive, total)),
        "self": table(self_),
        "ours": table(Counter({f: v for f, v in _drop_roots(inclusive, total).items() if _is_ours(f)})),
    }
