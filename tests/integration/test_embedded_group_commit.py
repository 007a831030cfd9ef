"""The embedded runtime commits concurrent submissions as one group: one append, one projection batch,
each caller still gets its own outcome, and one bad submission fails alone."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lienthong.domain import Submission
from lienthong.runtime import embedded as embedded_runtime
from lienthong.runtime.eventlog import events, rejections
from tests.fixtures.exchange import embedded_settings, open_exchange

COMMUNE = "UBND-XA-20242"
WHEN = datetime(2026, 2, 1, 2, 0, tzinfo=UTC)


def report(case_id: str, n: int) -> Submission:
    return Submission(
        submission_id=f"S-{case_id}-{n}",
        case_id=case_id,
        event_type="PersonReported",
        emitter_agency_code=COMMUNE,
        occurred_at=WHEN + timedelta(minutes=n),
        submitted_at=WHEN + timedelta(minutes=n),
        admin_unit_code="20242",
        actor_pseudonym="cb-07",
        payload={
            "report_place_code": "20242",
            "representative_flag": False,
            "sex": "female",
            "birth_year": 2003,
        },
    )


@pytest.fixture
def exchange(tmp_path):
    opened = open_exchange(embedded_settings(tmp_path))
    yield opened.services.backend
    opened.http.close()


def submit_together(exchange, subs: list[Submission]) -> dict[str, object]:
    """Send every submission from its own thread while the exchange's lock is held, so all queue up and
    the first thread to get the lock commits them as one group."""
    results: dict[str, object] = {}
    threads = []

    def send(sub: Submission) -> None:
        try:
            results[sub.submission_id] = exchange.submit(sub)
        except Exception as exc:  # the caller's own error, as the HTTP handler would see it
            results[sub.submission_id] = exc

    with exchange._lock:
        for sub in subs:
            threads.append(threading.Thread(target=send, args=(sub,)))
            threads[-1].start()
        deadline = datetime.now(UTC) + timedelta(seconds=10)
        while len(exchange._queue) < len(subs) and datetime.now(UTC) < deadline:
            threading.Event().wait(0.01)
        assert len(exchange._queue) == len(subs), "the submissions did not queue behind the lock"
    for t in threads:
        t.join(10)
    return results


def test_concurrent_submissions_are_one_append_and_each_caller_gets_its_own_outcome(exchange, monkeypatch):
    groups: list[int] = []
    original = exchange.log.append_many
    monkeypatch.setattr(
        exchange.log, "append_many", lambda entries: (groups.append(len(entries)), original(entries))[1]
    )
    subs = [report(f"HS-G{i}", i) for i in range(6)]
    duplicate = report("HS-G0", 0)  # the same submission id again: answered with the first outcome
    results = submit_together(exchange, [*subs, duplicate])

    assert groups == [6], groups  # one transaction for six decisions; the duplicate appends nothing
    for sub in subs:
        assert results[sub.submission_id].accepted, results[sub.submission_id]
    assert results[duplicate.submission_id] == results[subs[0].submission_id]
    with exchange.log.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar() == 6
    assert exchange.projector.checkpoints()[("embedded.events", 0)] == 6  # projected in the same step


def test_one_bad_submission_fails_alone_and_the_rest_of_its_group_is_recorded(exchange, monkeypatch):
    real_decide = embedded_runtime.decide

    def decide(state, sub, **kw):
        if sub.submission_id == "S-HS-B1-1":
            raise ValueError("payload.birth_year: broken on purpose")
        return real_decide(state, sub, **kw)

    monkeypatch.setattr(embedded_runtime, "decide", decide)
    subs = [report(f"HS-B{i}", i) for i in range(4)]
    # A commune committee reporting in another commune: refused by the rules, and the refusal recorded.
    refused = dataclasses.replace(report("HS-BX", 9), emitter_agency_code="UBND-XA-00070")
    results = submit_together(exchange, [*subs, refused])

    assert isinstance(results["S-HS-B1-1"], ValueError)
    for sub in (subs[0], subs[2], subs[3]):
        assert results[sub.submission_id].accepted
    assert not results[refused.submission_id].accepted
    with exchange.log.engine.connect() as conn:
        recorded = set(conn.execute(select(events.c.submission_id)).scalars())
        refusals = set(conn.execute(select(rejections.c.submission_id)).scalars())
    assert recorded == {"S-HS-B0-0", "S-HS-B2-2", "S-HS-B3-3"}
    assert refusals == {refused.submission_id}
    # The exchange keeps serving: the failed submission goes through once the fault is gone.
    monkeypatch.setattr(embedded_runtime, "decide", real_decide)
    assert exchange.submit(subs[1]).accepted
