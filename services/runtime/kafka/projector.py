"""The projector worker: applies batches of events and rejections to the SQL read models.

Each batch commits with its checkpoint in one transaction (projections.runner), so the group's offset
only ever trails the checkpoint; facts at or below it are skipped on redelivery. The consumer loop is
runtime.kafka.batch_loop. The group id carries the read-model database's generation, so a fresh
database replays the log from the start.
"""

from __future__ import annotations

import logging
import os
import time

from lienthong.config import Settings
from lienthong.infra.kafka.topics import EVENTS, REJECTIONS
from lienthong.projections.facts import EVENT, REJECTION, Fact
from lienthong.projections.runner import Projector
from lienthong.runtime import heap
from lienthong.runtime.kafka.batch_loop import BatchLoop, Records, run_until_signalled
from lienthong.schemas import decode
from lienthong.store import make_engine

log = logging.getLogger(__name__)
# Facts per transaction at most; only a backlog (a rebuild, a catch-up) fills it. Once the read models
# outgrow the page cache, each fact dirties index pages all over the file, and a bigger batch dirties
# many of them more than once per commit: replaying 10^6 events into SQLite, per-fact time over the
# first 600k was 249 -> 271 us at 1,000 and 206 -> 242 us at 5,000.
BATCH = int(os.environ.get("LIENTHONG_PROJECTOR_BATCH", "5000"))
# How long a batch gathers after its first fact (or until BATCH). A transaction has a fixed cost besides
# its facts (checkpoint lock, one read and one upsert per view table), so a shorter window spends more
# CPU on small batches under light load; 20 ms keeps acceptance -> visible p99 under 250 ms at 200
# submissions/s here (50 ms: ~260-280 ms), at about a sixth of a core for the projector at that rate.
WITHIN_S = float(os.environ.get("LIENTHONG_PROJECTOR_WITHIN", "0.02"))


def apply_with_retry(projector: Projector, facts: list[Fact]) -> None:
    """A read-model database that is down delays the batch; its offsets are never committed unapplied."""
    delay = 0.5
    while True:
        try:
            projector.apply(facts)
            return
        except Exception:
            log.exception("read-model write failed; retrying in %.1fs", delay)
            time.sleep(delay)
            delay = min(delay * 2, 30)


def build(settings: Settings) -> BatchLoop:
    projector = Projector(make_engine(settings.database_url))

    def handle(records: Records) -> None:
        facts = [
            Fact(
                tp.topic,
                tp.partition,
                rec.offset,
                EVENT if tp.topic == EVENTS else REJECTION,
                decode(rec.value).record,
            )
            for tp, rec in records
        ]
        apply_with_retry(projector, facts)

    # The group id carries the database's generation: a fresh database replays the log from the start.
    group_id = f"lienthong-projector-{projector.generation[:12]}"
    return BatchLoop(settings, group_id, [EVENTS, REJECTIONS], handle, batch=BATCH, within_s=WITHIN_S)


def run(settings: Settings) -> None:
    loop = build(settings)
    heap.settle()
    run_until_signalled(loop)
