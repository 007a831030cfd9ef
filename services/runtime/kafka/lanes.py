"""Decision lanes: one decider spreading its partitions' cases over several processes.

Kafka orders a partition, but the decider needs order only within a case, and two cases never share
state. So with ``LIENTHONG_DECIDER_LANES`` = L > 1 the decider's own process only consumes, publishes and
commits. It hands each batch's submissions to L lane processes by record key (the case id, so a case
always goes to the same lane). Each lane keeps the states of its own cases, rebuilt from the log like the
single process's, and decides them in order. The decider then publishes the decisions in the batch's
order, as one process would have.

A lane that stops (a crash, a kill) stops the decider before the batch's offsets move, and the batch is
decided again after the restart. Lanes ignore SIGTERM and SIGINT: a stop signalled to the whole process
group lets the decider finish its batch and commit, and the lanes end when it closes their pipes.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import zlib
from collections.abc import Callable
from multiprocessing.connection import Connection, wait

from lienthong.config import Settings
from lienthong.runtime import heap
from lienthong.runtime.kafka.decisions import Decisions, Outgoing

log = logging.getLogger(__name__)
READY, DECIDE, DECIDED, DROP, DROPPED, PROGRESS = "ready", "decide", "decided", "drop", "dropped", "progress"


class LaneStopped(RuntimeError):
    """A decision lane is gone; its batch was not decided."""


def lane_of(key: bytes, lanes: int) -> int:
    """The lane of a submission's record key (its case id): the same in every process and run."""
    return zlib.crc32(key) % lanes


class Lanes:
    def __init__(self, settings: Settings, count: int) -> None:
        context = multiprocessing.get_context("spawn")  # no fork of a process with client I/O threads
        self.on_progress: Callable[[], None] = lambda: None  # told while a lane replays the log
        self._conns: list[Connection] = []
        self._procs = []
        for lane in range(count):
            mine, theirs = context.Pipe()
            proc = context.Process(
                target=_serve, args=(theirs, settings, lane, count), name=f"decision-lane-{lane}", daemon=True
            )
            proc.start()
            theirs.close()
            self._conns.append(mine)
            self._procs.append(proc)
        self._gather({conn: lane for lane, conn in enumerate(self._conns)}, READY)

    def make(self, batch: list[tuple[int, bytes, bytes]]) -> list[Outgoing | None]:
        """As Decisions.make: one entry per submission, in the batch's order."""
        count = len(self._conns)
        shards: list[list[tuple[int, bytes, bytes]]] = [[] for _ in range(count)]
        route = []
        for item in batch:
            lane = lane_of(item[1], count)
            shards[lane].append(item)
            route.append(lane)
        busy = {self._send(lane, DECIDE, shard): lane for lane, shard in enumerate(shards) if shard}
        decided = self._gather(busy, DECIDED)
        each = {lane: iter(out) for lane, out in decided.items()}
        return [next(each[lane]) for lane in route]

    def drop(self, partitions: set[int]) -> None:
        busy = {self._send(lane, DROP, partitions): lane for lane in range(len(self._conns))}
        self._gather(busy, DROPPED)

    def close(self) -> None:
        for conn in self._conns:
            conn.close()  # a lane ends at the end of its pipe
        for proc in self._procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.terminate()

    def _send(self, lane: int, kind: str, value: object) -> Connection:
        conn = self._conns[lane]
        try:
            conn.send((kind, value))
        except OSError:  # BrokenPipeError among them
            raise LaneStopped(f"decision lane {lane} stopped") from None
        return conn

    def _gather(self, busy: dict[Connection, int], expected: str) -> dict[int, list]:
        """Each busy lane's answer, by lane; progress reports on the way are passed on."""
        answers: dict[int, list] = {}
        while busy:
            for conn in wait(list(busy)):
                try:
                    kind, value = conn.recv()
                except (EOFError, OSError):
                    raise LaneStopped(f"decision lane {busy[conn]} stopped") from None
                if kind == PROGRESS:
                    self.on_progress()
                    continue
                if kind != expected:
                    raise LaneStopped(f"decision lane {busy[conn]} answered {kind!r}, not {expected!r}")
                answers[busy.pop(conn)] = value
        return answers


def _serve(conn: Connection, settings: Settings, lane: int, count: int) -> None:
    """A lane process: decide what the decider sends, until it closes the pipe."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(
        level=logging.WARNING, format=f"%(asctime)s %(levelname)s lane {lane} %(name)s: %(message)s"
    )
    decisions = Decisions(settings, keep=lambda case_id: lane_of(case_id.encode(), count) == lane)
    decisions.on_progress = lambda: conn.send((PROGRESS, None))
    heap.settle()
    conn.send((READY, []))
    while True:
        try:
            kind, value = conn.recv()
        except EOFError:
            return
        if kind == DECIDE:
            conn.send((DECIDED, decisions.make(value)))
        else:
            decisions.drop(value)
            conn.send((DROPPED, []))
