"""Where an obligation stands at a given instant: the one place lateness is decided.

The view stores when a clock started, fell due and stopped; this module reads a row as of `at`
(an auditor's date, or now). Deadlines end at an instant, and anything at or after it is late
(`Rules.due`), so at exactly the due instant an unanswered duty is already overdue.

    open     not satisfied by `at`, not yet due (or no due time known)
    overdue  not satisfied by `at`, due at or before `at`
    met      satisfied by `at`, before it fell due
    late     satisfied by `at`, at or after it fell due
    lifted   the case was closed by `at` with the clock still running
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from lienthong.rules.calendar import VIETNAM

OPEN, OVERDUE, MET, LATE, LIFTED = "open", "overdue", "met", "late", "lifted"
STATUSES = (OVERDUE, OPEN, LATE, MET, LIFTED)  # the order alerts are listed in
DAY = timedelta(days=1)


def utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def as_of(value: str | None, now: datetime) -> datetime:
    """The instant a question is asked about: a date means the last instant of that day in Vietnam;
    a timestamp must carry its offset; nothing means now."""
    if value is None or value == "":
        return utc(now)  # type: ignore[return-value]
    if len(value) == 10:
        day = date.fromisoformat(value)
        return datetime.combine(day + DAY, time(0), VIETNAM).astimezone(UTC) - timedelta(microseconds=1)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("a timestamp needs its UTC offset, e.g. 2025-10-15T17:00:00+07:00")
    return parsed.astimezone(UTC)


def evaluate(row: dict[str, Any], at: datetime) -> dict[str, Any] | None:
    """The row as it stood at `at`, with `status`, `late` and `days_overdue`; None if not started yet."""
    started, due = utc(row["started_at"]), utc(row["due_at"])
    satisfied, lifted = utc(row["satisfied_at"]), utc(row["lifted_at"])
    if started is None or started > at:
        return None
    out = dict(row)
    out.update(started_at=started, due_at=due, lifted_at=None, satisfied_at=None, days_overdue=0)
    if satisfied is not None and satisfied <= at:
        out["satisfied_at"] = satisfied
        out["status"] = LATE if due is not None and satisfied >= due else MET
        out["days_overdue"] = _days_past(due, satisfied) if out["status"] == LATE else 0
    elif lifted is not None and lifted <= at:
        out["lifted_at"] = lifted
        out["status"] = LIFTED
    elif due is not None and at >= due:
        out["status"] = OVERDUE
        out["days_overdue"] = _days_past(due, at)
    else:
        out["status"] = OPEN
    out["late"] = out["status"] in (OVERDUE, LATE)
    return out


def sort_key(item: dict[str, Any]) -> tuple:
    """Overdue first (longest overdue first), then open by due time (unknown last), then the rest."""
    due = item["due_at"]
    return (
        STATUSES.index(item["status"]),
        -item["days_overdue"],
        due is None,
        due or datetime.max.replace(tzinfo=UTC),
        item["started_at"],
        item["obligation_id"],
    )


def _days_past(due: datetime | None, when: datetime) -> int:
    """Started days past the due instant: 1 on the first day after the deadline."""
    if due is None:
        return 0
    return (when - due) // DAY + 1
