"""What every check of one submission may look at, gathered once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from lienthong import places
from lienthong.agencies import Agency, Registry
from lienthong.domain.model import CaseState, PersonState, Submission
from lienthong.rules import Rules

VIETNAM_OFFSET_HOURS = 7


@dataclass(frozen=True, slots=True)
class Context:
    state: CaseState
    sub: Submission
    agency: Agency
    registry: Registry
    rules: Rules
    payload: dict  # the payload already converted to Avro values

    @property
    def on(self) -> date:
        """The date the fact occurred, in Vietnam: the date every rule is read at."""
        return (self.sub.occurred_at + timedelta(hours=VIETNAM_OFFSET_HOURS)).date()

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
