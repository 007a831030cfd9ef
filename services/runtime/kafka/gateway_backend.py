"""The gateway's write side on Kafka: a submission is accepted once the broker has it durably."""

from __future__ import annotations

import asyncio
from typing import Any

from lienthong.config import Settings
from lienthong.domain import Submission
from lienthong.infra.kafka.topics import SUBMISSIONS
from lienthong.runtime.kafka.clients import producer
from lienthong.runtime.records import encode_submission

ACK_TIMEOUT_S = 60.0


class KafkaBackend:
    kind = "kafka"

    def __init__(self, settings: Settings) -> None:
        # The caller waits for its own acknowledgement: linger only long enough to share a request with
        # the submissions that arrive at the same moment (idempotent, acks=all as every producer).
        self._producer = producer(settings, linger_ms=1)
        self._producer.partitions_for(SUBMISSIONS)  # metadata now, so that send() never waits for it

    def submit(self, sub: Submission) -> None:
        future = self._producer.send(SUBMISSIONS, key=sub.case_id.encode(), value=encode_submission(sub))
        future.get(timeout=ACK_TIMEOUT_S)  # acks=all: on the log before the caller hears "pending"

    async def accept(self, sub: Submission) -> None:
        """As :meth:`submit`, awaited on the caller's event loop instead of blocking a thread.

        The producer's I/O thread completes the future; its callbacks hand the result back to the loop,
        so a waiting request costs no thread and no thread switch.
        """
        loop = asyncio.get_running_loop()
        acked: asyncio.Future[Any] = loop.create_future()

        def done(result: Any) -> None:
            if not acked.done():
                acked.set_result(result)

        def failed(exc: BaseException) -> None:
            if not acked.done():
                acked.set_exception(exc)

        future = self._producer.send(SUBMISSIONS, key=sub.case_id.encode(), value=encode_submission(sub))
        future.add_callback(lambda meta: loop.call_soon_threadsafe(done, meta))
        future.add_errback(lambda exc: loop.call_soon_threadsafe(failed, exc))
        await asyncio.wait_for(acked, ACK_TIMEOUT_S)

    def close(self) -> None:
        self._producer.close()
