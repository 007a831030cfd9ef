"""Auditor checks over the log: every event decodes, versions run 1..n per case, hashes chain.

The chain covers the stored bytes (ciphertext included), so erasing a person's key never breaks it.
The log digest folds every event hash in log order: two parties holding the same digest hold the
same history.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from lienthong.runtime.eventlog import Stored
from lienthong.schemas import SchemaError, decode

MAX_REPORTED = 50


@dataclass
class VerifyReport:
    events: int = 0
    cases: int = 0
    digest: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "events": self.events,
            "cases": self.cases,
            "log_digest": self.digest,
            "problems": self.problems[:MAX_REPORTED],
            "problem_count": len(self.problems),
        }


def verify_log(stored: Iterable[Stored]) -> VerifyReport:
    report = VerifyReport()
    heads: dict[str, tuple[int, str]] = {}  # case id -> (last version, last hash)
    digest = hashlib.sha256()
    for item in stored:
        report.events += 1
        event_hash = hashlib.sha256(item.data).hexdigest()
        digest.update(bytes.fromhex(event_hash))
        try:
            env = decode(item.data).record["envelope"]
        except SchemaError as err:
            report.problems.append(f"position {item.position}: does not decode ({err})")
            continue
        case_id = env["case_id"]
        version, prev_hash = heads.get(case_id, (0, None))
        if env["case_version"] != version + 1:
            report.problems.append(
                f"position {item.position}: case {case_id} version {env['case_version']} "
                f"follows version {version}"
            )
        if env["prev_event_hash"] != prev_hash:
            report.problems.append(
                f"position {item.position}: case {case_id} version {env['case_version']} "
                f"does not chain to the previous event's hash"
            )
        heads[case_id] = (env["case_version"], event_hash)
    report.cases = len(heads)
    report.digest = digest.hexdigest()
    return report
