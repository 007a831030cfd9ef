"""Confirming that what a worker sent reached the log before it commits the offsets it consumed.

kafka-python's ``flush()`` waits for every batch, but a batch that failed for good (refused by the broker,
or out of delivery time) only gets a warning in its log; ``flush()`` still returns normally. A worker that
trusted it would commit offsets of records that never reached the log, and lose them. So each worker
keeps the futures of what it sent and looks at every one after the flush.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

from kafka import KafkaProducer
from kafka.producer.future import FutureRecordMetadata

log = logging.getLogger(__name__)
UNDELIVERED_EXIT = 70  # EX_SOFTWARE: a supervisor restarts the worker, which redoes the uncommitted batch


class Undelivered(Exception):
    """A record a worker sent did not reach the log."""


def flush_and_confirm(producer: KafkaProducer, sent: Sequence[FutureRecordMetadata]) -> None:
    """Flush, then raise Undelivered unless every record in `sent` is on the log."""
    producer.flush()
    for future in sent:
        if not future.succeeded():
            failed = sum(1 for f in sent if not f.succeeded())
            raise Undelivered(
                f"{failed} of {len(sent)} records not delivered: {future.exception!r}"
            ) from future.exception


def deliver_or_exit(producer: KafkaProducer, sent: Sequence[FutureRecordMetadata], what: str) -> None:
    """As flush_and_confirm, but stop the process at once when anything failed, before any offset moves.

    An exception could be caught on its way up, and the offsets committed after all; an exit cannot.
    """
    try:
        flush_and_confirm(producer, sent)
    except Exception:
        log.critical("could not deliver %s; stopping before offsets are committed", what, exc_info=True)
        logging.shutdown()
        os._exit(UNDELIVERED_EXIT)
