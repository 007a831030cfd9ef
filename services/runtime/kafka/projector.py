"""The projector worker (faust): applies batches of events and rejections to the SQL read models.

Each batch commits with its checkpoint in one transaction (projections.runner), so the faust group
offset only ever trails the checkpoint; facts at or below it are skipped on redelivery. The group id
carries the read-model database's generation, so a fresh database replays the log from the start.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time

from lienthong.config import Settings
from lienthong.infra.kafka.topics import EVENTS, REJECTIONS
from lienthong.projections.facts import EVENT, REJECTION, Fact
from lienthong.projections.runner import Projector
from lienthong.runtime.kafka.clients import faust_app
from lienthong.runtime.kafka.watchdog import ProgressWatchdog
from lienthong.schemas import decode
from lienthong.store import make_engine

log = logging.getLogger(__name__)
BATCH = int(os.environ.get("LIENTHONG_PROJECTOR_BATCH", "1000"))  # facts per transaction
# faust's take loop hands over what it holds every WITHIN_S seconds (or at BATCH). A transaction has a
# fixed cost (checkpoint lock, one read and one upsert per view table: ~10 ms here) besides its facts,
# so the window is not made as short as the decider's: shorter would spend a core on tiny batches.
WITHIN_S = float(os.environ.get("LIENTHONG_PROJECTOR_WITHIN", "0.05"))


def apply_with_retry(projector: Projector, facts: list[Fact]) -> None:
    """A read-model database that is down delays the batch; it never lets faust ack it unapplied."""
    delay = 0.5
    while True:
        try:
            projector.apply(facts)
            return
        except Exception:
            log.exception("read-model write failed; retrying in %.1fs", delay)
            time.sleep(delay)
            delay = min(delay * 2, 30)


def build(settings: Settings):
    projector = Projector(make_engine(settings.database_url))
    app_id = f"lienthong-projector-{projector.generation[:12]}"
    app = faust_app(app_id, settings)
    watchdog = ProgressWatchdog(settings, app_id, [EVENTS, REJECTIONS])
    log_topics = app.topic(EVENTS, REJECTIONS, partitions=settings.partitions)

    @app.agent(log_topics)
    async def project(stream):
        loop = asyncio.get_running_loop()
        async for events in stream.take_events(BATCH, within=WITHIN_S):
            facts = [
                Fact(
                    e.message.topic,
                    e.message.partition,
                    e.message.offset,
                    EVENT if e.message.topic == EVENTS else REJECTION,
                    decode(e.value).record,
                )
                for e in events
            ]
            watchdog.progressed()  # a batch in hand is progress; a long one must not look like a stall
            await loop.run_in_executor(None, apply_with_retry, projector, facts)
            watchdog.progressed()

    @app.task
    async def start_watchdog() -> None:
        watchdog.start()

    return app
