"""What every check of one submission may look at, gathered once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from lienthong import places
from lienthong.agencies import Agency, Registry
from lienthong.domain.model import CaseState, PersonState, Submission
from lienthong.rules import MandateRow, Rules

VIETNAM_OFFSET_HOURS = 7
_UNSET = object()


@dataclass(slots=True)
class Context:
    """Built once per submission decided; not frozen, like Submission, for the cost of a frozen init."""

    state: CaseState
    sub: Submission
    agency: Agency
    registry: Registry
    rules: Rules
    payload: dict  # the payload already converted to Avro values
    # The date the fact occurred, in Vietnam: the date every rule is read at (read by most checks).
    on: date = field(init=False)
    _mandate: object = field(init=False, default=_UNSET, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.on = (self.sub.occurred_at + timedelta(hours=VIETNAM_OFFSET_HOURS)).date()

    def mandate(self) -> MandateRow | None:
        """The mandate row for this agency, event type and day (asked by the checks and by decide)."""
        row = self._mandate
        if row is _UNSET:
            a = self.agency
            row = self.rules.mandate_for(
                a.agency_type,
                a.level,
                self.event_type,
                self.on,
                province=places.current_province_of(a.jurisdiction),
            )
            self._mandate = row
        return row  # type: ignore[return-value]

    @property
    def at(self) -> datetime:
        return self.sub.occurred_at

    @property
    def event_type(self) -> str:
        return self.sub.event_type

    @property
    def province(self) -> str | None:
        """Today's province of the fact's unit: whose overlay of the rules applies."""
        return places.current_province_of(self.sub.admin_unit_code)

    @property
    def rates_province(self) -> str | None:
        """The province as it was on the day ("L:49" before 2025-07-01): rate tables are kept that way."""
        return places.province_of(self.sub.admin_unit_code, on=self.on)

    @property
    def subject_ref(self) -> str | None:
        return self.sub.subject_person_ref or self.state.person_ref

    @property
    def subject(self) -> PersonState | None:
        return self.state.person(self.subject_ref)

    def regime(self) -> str:
        """The subject's regime: fixed at identification, else the regime in force on the day."""
        person = self.subject
        if person is not None and person.regime:
            return person.regime
        if person is not None and person.role == "accompanying_minor" and person.adult_ref:
            adult = self.state.persons.get(person.adult_ref)
            if adult is not None and adult.regime:
                return adult.regime
        return self.rules.regime_on(self.on)
