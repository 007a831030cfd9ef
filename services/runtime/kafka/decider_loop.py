"""The decider worker: submissions in, decisions on the log, then the offsets (runtime.kafka.batch_loop).

Rejections are read back from their topic too, and copied to each submitting agency's own rejections
topic. A revoked partition's case states are dropped; they are rebuilt from the log if it comes back.
"""

from __future__ import annotations

from lienthong.config import Settings
from lienthong.infra.kafka.topics import REJECTIONS, SUBMISSIONS
from lienthong.runtime import heap
from lienthong.runtime.kafka.batch_loop import BatchLoop, Records, run_until_signalled
from lienthong.runtime.kafka.decider import APP_ID, BATCH, WITHIN_S, Decider


def build(settings: Settings, decider: Decider | None = None) -> tuple[BatchLoop, Decider]:
    decider = decider or Decider(settings)

    def handle(records: Records) -> None:
        submissions = [rec for tp, rec in records if tp.topic == SUBMISSIONS]
        rejections = [rec.value for tp, rec in records if tp.topic == REJECTIONS]
        if submissions:
            decider.process(submissions)  # flushed inside: the decisions are on the log
        if rejections:
            decider.route_rejections(rejections)

    loop = BatchLoop(
        settings,
        APP_ID,
        [SUBMISSIONS, REJECTIONS],
        handle,
        batch=BATCH,
        within_s=WITHIN_S,
        on_revoked=lambda tps: decider.revoked({tp.partition for tp in tps if tp.topic == SUBMISSIONS}),
    )
    decider.maker.on_progress = loop.watchdog.progressed
    return loop, decider


def run(settings: Settings) -> None:
    loop, decider = build(settings)
    heap.settle()
    run_until_signalled(loop, on_close=decider.close)
