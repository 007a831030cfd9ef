"""A generated history replayed through the embedded exchange (gateway, decider, log, projections): every
submission gets the outcome the generator planned, the planted duplicates are found by the matching rules
before the data steward merges them, and after the merges each real person is counted once."""

from __future__ import annotations

from lienthong.generator import generate, public
from lienthong.matching import count_persons, find_candidates
from tests.fixtures.exchange import embedded_settings, open_exchange

EVENTS = 3_000
SEED = 5


def test_a_generated_history_is_decided_as_planned_and_counts_each_person_once(tmp_path):
    exchange = open_exchange(embedded_settings(tmp_path))
    readmodels, keystore = exchange.services.readmodels, exchange.services.keystore
    humans: set[str] = set()
    differ: list[tuple] = []
    found_before_merge: list[bool] = []
    refused = 0
    try:
        for agency, body in generate(EVENTS, SEED):
            truth = body.get("_truth", {})
            if truth.get("merge") == "duplicate":
                pair = set(truth["refs"])
                candidates = find_candidates(readmodels, keystore)
                found_before_merge.append(any(pair <= set(c.person_refs) for c in candidates))
            status, out = exchange.submit(agency, public(body))
            expected = body["_expect"]
            if expected == "accepted":
                ok = status == 201 and out["status"] == "accepted"
            else:
                refused += 1
                code = expected.removeprefix("rejected:")
                ok = status in (409, 422) and out["status"] == "rejected" and out["rejection"]["code"] == code
            if not ok:
                differ.append((agency, body["event_type"], expected, status, out))
            if expected == "accepted" and "human" in truth:
                humans.add(truth["human"])
    finally:
        exchange.http.close()

    assert not differ, differ[:10]
    assert refused > 0
    assert found_before_merge and all(found_before_merge), found_before_merge
    assert count_persons(readmodels) == len(humans)
