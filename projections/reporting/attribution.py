"""Pure rules shared by the reporting view and the reports: dates, ordering keys, unit attribution.

Period attribution (DOMAIN §e double-counting rule 4). A person is attributed to ONE reporting period by
the Vietnam-time date of their first ReceptionRegistered; a person never registered as received is
attributed by the date of their VictimStatusDetermined; an accompanying minor with neither takes the
period of the adult they accompany (else the date they were linked). When refs are merged, the
earliest reception over all merged refs decides (else the earliest determination), so a person received
by the Border Guard in one province and again at home in another is counted once, at the first
reception.

Unit attribution: the admin unit recorded on that same event, as it was at the time (a pre-2025-07-01
event carries an old "L:" code), refined to the person's commune when the event was recorded at a higher
level (a province, an old district) and the person's earliest commune-level unit lies inside it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache

from lienthong import places

VIETNAM = timezone(timedelta(hours=7), "ICT")


def vn_date(at: datetime) -> date:
    """The calendar date in Vietnam of an instant (naive datetimes are taken as UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(VIETNAM).date()


def order_key(occurred_at: datetime, event_id: str) -> str:
    """A total order over events of any case: occurrence instant (UTC, microseconds), then event id."""
    return f"{_utc_stamp(occurred_at)}|{event_id}"


@lru_cache(maxsize=4096)
def _utc_stamp(occurred_at: datetime) -> str:
    # Several rows of one fact are ordered by the same instant: format it once.
    if occurred_at.tzinfo is None:
        occurred_at = occurred_at.replace(tzinfo=UTC)
    return occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


@lru_cache(maxsize=65536)
def is_commune(code: str | None) -> bool:
    # Asked twice a fact; the packaged map is fixed for the process (places caches it the same way).
    unit = places.lookup(code) if code else None
    return unit is not None and unit.level == "C"


def refine(unit: str | None, commune: str | None) -> str | None:
    """`unit`, or the person's commune when `unit` is coarser and contains it."""
    if unit is None:
        return commune
    if is_commune(unit) or not commune or commune == unit:
        return unit
    return commune if places.within(commune, unit) else unit
