"""Log verification finds tampering: a changed byte, a dropped event, a reordered chain."""

from __future__ import annotations

from dataclasses import replace

from lienthong.audit import verify_log
from lienthong.scenarios import cases


def _log(embedded):
    for agency, sub in cases(3, seed=11):
        embedded.submit(agency, sub)
    return list(embedded.services.backend.log.scan("events"))


def test_an_untouched_log_verifies_and_has_a_stable_digest(embedded):
    stored = _log(embedded)
    first, second = verify_log(stored), verify_log(stored)
    assert first.ok and first.events == len(stored) and first.cases == 3
    assert first.digest == second.digest


def test_a_changed_byte_a_dropped_event_and_a_swapped_pair_are_each_detected(embedded):
    stored = _log(embedded)
    flipped = bytearray(stored[4].data)
    flipped[-1] ^= 0x01
    tampered = [*stored[:4], replace(stored[4], data=bytes(flipped)), *stored[5:]]
    assert not verify_log(tampered).ok
    assert not verify_log(stored[:3] + stored[4:]).ok
    assert not verify_log([stored[1], stored[0], *stored[2:]]).ok
