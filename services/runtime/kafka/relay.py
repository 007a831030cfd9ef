"""The inbox relay (faust): agencies that produce to Kafka directly write to their own inbox topic.

The emitter is stamped from the inbox's owner (the topic name the agency's ACL lets it write), never
from the message. Personal data arrives in clear on that private topic and is sealed here before the
submission reaches the shared submissions topic. A malformed message is answered with a rejection on
the agency's own rejections topic and the relay keeps serving.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from datetime import UTC, datetime

from kafka.producer.future import FutureRecordMetadata

from lienthong.agencies import default_registry
from lienthong.config import Settings
from lienthong.domain import Submission
from lienthong.domain.refusals import refuse
from lienthong.infra.kafka.topics import INBOX_PREFIX, SUBMISSIONS, agency_rejections_topic, inbox_topic
from lienthong.runtime.kafka.clients import faust_app, producer
from lienthong.runtime.kafka.delivery import deliver_or_exit
from lienthong.runtime.records import encode_rejection, encode_submission
from lienthong.schemas import ContractError, SchemaError, decode
from lienthong.wiring import build_keystore

log = logging.getLogger(__name__)
APP_ID = "lienthong-relay"
BATCH = 500


class Relay:
    def __init__(self, settings: Settings) -> None:
        self.keystore = build_keystore(settings)
        self.producer = producer(settings)

    def forward(self, batch: list[tuple[str, bytes]]) -> None:
        sent = []
        for topic, value in batch:
            agency = topic.removeprefix(INBOX_PREFIX)
            now = datetime.now(UTC)
            try:
                sub = self._submission(agency, value, now)
            except (SchemaError, ValueError, KeyError) as err:
                sent.append(self._refuse_malformed(agency, value, err, now))
                continue
            forwarded = encode_submission(sub)
            sent.append(self.producer.send(SUBMISSIONS, key=sub.case_id.encode(), value=forwarded))
        deliver_or_exit(self.producer, sent, "forwarded submissions and refusals")

    def _submission(self, agency: str, value: bytes, now: datetime) -> Submission:
        r = decode(value, reader="lienthong.InboxSubmission").record
        person_ref = r["subject_person_ref"]
        sealed = None
        if r["personal_data_json"]:
            person_ref = person_ref or str(uuid.uuid4())
            sealed = self.keystore.seal(person_ref, json.loads(r["personal_data_json"]))
        return Submission(
            submission_id=r["submission_id"],
            case_id=r["case_id"],
            event_type=r["event_type"],
            emitter_agency_code=agency,
            occurred_at=r["occurred_at"],
            submitted_at=now,
            admin_unit_code=r["admin_unit_code"],
            actor_pseudonym=r["actor_pseudonym"],
            payload=json.loads(r["payload_json"]),
            door="kafka_inbox",
            expected_version=r["expected_version"],
            legal_basis=r["legal_basis"],
            subject_person_ref=person_ref,
            consent_ref=r["consent_ref"],
            correlation_id=r["correlation_id"],
            causation_id=r["causation_id"],
            sealed_personal_data=sealed,
        )

    def _refuse_malformed(
        self, agency: str, value: bytes, err: Exception, now: datetime
    ) -> FutureRecordMetadata:
        field = err.field if isinstance(err, ContractError) else "message"
        rule = err.rule if isinstance(err, ContractError) else str(err)
        refusal = refuse("invalid_field", field=field, rule=rule)
        stub = Submission(
            submission_id=_best_effort_id(value),
            case_id="",
            event_type="",
            emitter_agency_code=agency,
            occurred_at=now,
            submitted_at=now,
            admin_unit_code="",
            actor_pseudonym="",
            payload={},
        )
        log.warning("refused a malformed message in %s's inbox: %s", agency, rule)
        return self.producer.send(
            agency_rejections_topic(agency),
            key=stub.submission_id.encode(),
            value=encode_rejection(stub, refusal, now),
        )


def _best_effort_id(value: bytes) -> str:
    try:
        return decode(value).record["submission_id"]
    except Exception:
        return "unreadable"


def build(settings: Settings):
    app = faust_app(APP_ID, settings)
    relay = Relay(settings)
    # One topic per agency with a Kafka door. (faust 0.15.3's pattern subscription crashes its conductor with
    # "You should provide either `topics` or `pattern`", so the inboxes are listed; the registry is
    # loaded at start, like every other rule file, and a new agency needs a relay restart.)
    inboxes = app.topic(*(inbox_topic(code) for code in default_registry().kafka_agencies()))

    @app.agent(inboxes)
    async def forward(stream):
        loop = asyncio.get_running_loop()
        async for events in stream.take_events(BATCH, within=0.02):
            await loop.run_in_executor(None, relay.forward, [(e.message.topic, e.value) for e in events])

    return app
