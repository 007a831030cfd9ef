"""The gateway's write side on Kafka: a submission is accepted once the broker has it durably."""

from __future__ import annotations

from lienthong.config import Settings
from lienthong.domain import Submission
from lienthong.infra.kafka.topics import SUBMISSIONS
from lienthong.runtime.kafka.clients import producer
from lienthong.runtime.records import encode_submission


class KafkaBackend:
    kind = "kafka"

    def __init__(self, settings: Settings) -> None:
        # The caller waits for its own acknowledgement: linger only long enough to share a request with
        # the submissions that arrive at the same moment (idempotent, acks=all as every producer).
        self._producer = producer(settings, linger_ms=1)

    def submit(self, sub: Submission) -> None:
        future = self._producer.send(SUBMISSIONS, key=sub.case_id.encode(), value=encode_submission(sub))
        future.get(timeout=60)  # acks=all: on the log before the caller hears "pending"

    def close(self) -> None:
        self._producer.close()
