"""Open obligations ("clocks"), one row per duty a fact started: who must act, by when, and whether they did.

Driven by the deadline rows (deadlines.toml): an event of one of a row's `starts_from` types, emitted by
one of its `started_by` agency types, starts a clock under the event's legal regime and the province's
overlay; an event of one of its `satisfied_by` types naming the same thing (referral, application, stay,
person) stops it. A clock whose case is closed is lifted (a closed case accepts no answer) and runs again
if the case is reopened. Pure: the rules and the agency registry are data, and no wall clock is read.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any

from lienthong import places
from lienthong.agencies import Registry, default_registry
from lienthong.projections.alerts import kinds as k
from lienthong.projections.alerts.status import utc
from lienthong.projections.alerts.tables import obligation_cases, obligations
from lienthong.projections.facts import EVENT, Fact
from lienthong.projections.rows import RowSet
from lienthong.rules import RuleNotFound, Rules, default_rules
from lienthong.rules.calendar import VIETNAM

OBLIGATIONS = obligations.name
CASES = obligation_cases.name
OPEN, MET, LATE, LIFTED = "open", "met", "late", "lifted"
MAX_KEY = obligations.c.match_key.type.length
_LEVEL_ORDER = {"C": 0, "D": 1, "P": 2, "N": 3, "X": 4}


class Obligations:
    name = "alert_obligations"

    def __init__(self, rules: Rules | None = None, registry: Registry | None = None) -> None:
        self.rules = rules or default_rules()
        self.registry = registry or default_registry()
        self._offices: dict[tuple[str, str, date], tuple[str | None, str | None]] = {}
        starting: dict[str, set[str]] = {}
        satisfying: set[str] = {"CaseClosed", "CaseReopened", "CaseTransferAccepted"}
        for row in self.rules.deadlines:
            for event_type in row.starts_from_events:
                starting.setdefault(event_type, set()).add(row.name)
            satisfying |= row.satisfied_by
        for name, duty in k.UNRULED.items():
            starting.setdefault(duty.starts_from, set()).add(name)
            satisfying |= duty.satisfied_by
        self._starting = {t: sorted(names) for t, names in starting.items()}
        self._relevant = frozenset(starting) | satisfying
        self._ruled = frozenset(row.name for row in self.rules.deadlines)

    # -- the View protocol ---------------------------------------------------------------------------

    def prefetch(self, fact: Fact) -> list[tuple[str, object]]:
        if fact.kind != EVENT or fact.event_type not in self._relevant:
            return []
        return [(CASES, fact.envelope["case_id"])]

    def apply(self, rows: RowSet, fact: Fact) -> None:
        if fact.kind != EVENT or fact.event_type not in self._relevant:
            return
        env, record, event_type = fact.envelope, fact.record, fact.event_type
        case_id = env["case_id"]
        index = rows.get(CASES, case_id)
        ids: list[str] = json.loads(index["obligation_ids"]) if index else []
        rows.prefetch((OBLIGATIONS, i) for i in ids)
        existing = [row for i in ids if (row := rows.get(OBLIGATIONS, i)) is not None]
        at = utc(env["occurred_at"])
        changed: list[dict[str, Any]] = []

        if event_type == "CaseClosed":
            for ob in existing:
                if ob["status"] == OPEN:
                    ob.update(status=LIFTED, lifted_at=at)
                    changed.append(ob)
        elif event_type == "CaseReopened":
            for ob in existing:
                if ob["status"] == LIFTED:
                    ob.update(status=OPEN, lifted_at=None)
                    changed.append(ob)
        elif event_type == "CaseTransferAccepted":
            changed += self._hand_over(existing, env, record)
        else:
            changed += self._satisfy(existing, env, record, at)
        for ob in changed:
            rows.touch(OBLIGATIONS, ob["obligation_id"])

        started = self._start(existing, env, record, at)
        for ob in started:
            rows.put(OBLIGATIONS, ob["obligation_id"], ob)
        if started:
            ids += [ob["obligation_id"] for ob in started]
            if index is None:
                rows.put(CASES, case_id, {"case_id": case_id, "obligation_ids": json.dumps(ids)})
            else:
                index["obligation_ids"] = json.dumps(ids)
                rows.touch(CASES, case_id)

    # -- stopping clocks -----------------------------------------------------------------------------

    @staticmethod
    def _satisfy(
        existing: list[dict[str, Any]], env: dict[str, Any], record: dict[str, Any], at: datetime
    ) -> list[dict[str, Any]]:
        event_type = env["event_type"]
        done = []
        for ob in existing:
            if ob["status"] != OPEN or event_type not in ob["satisfied_by"].split():
                continue
            key = _fit(k.kind(ob["kind"]).satisfy_key(env, record))
            if ob["match_key"] is not None and key is not None and key != ob["match_key"]:
                continue
            due = utc(ob["due_at"])
            ob.update(
                satisfied_at=at,
                satisfied_event_id=env["event_id"],
                satisfied_event_type=event_type,
                status=MET if due is None or at < due else LATE,
            )
            done.append(ob)
        return done

    def _hand_over(
        self, existing: list[dict[str, Any]], env: dict[str, Any], record: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The accepting agency takes over the running clocks its own agency type answers for: the lead's
        duties follow the case, while those of other offices (an addressee's answer) stay theirs."""
        agency = self.registry.find(env["emitter_agency_code"])  # only the named addressee may accept
        if agency is None:
            return []
        province = places.current_place(agency.jurisdiction)[0]  # a national office: none
        moved = []
        for ob in existing:
            mine = ob["responsible_agency_type"] == agency.agency_type
            if ob["status"] != OPEN or not mine or ob["responsible_agency_code"] == agency.code:
                continue
            note = f"handed over by {ob['responsible_agency_code'] or '-'} (transfer {record['transfer_id']})"
            ob.update(
                responsible_agency_code=agency.code,
                province_code=province,
                reason="; ".join(filter(None, (ob["reason"], note))),
            )
            moved.append(ob)
        return moved

    # -- starting clocks -----------------------------------------------------------------------------

    def _start(
        self, existing: list[dict[str, Any]], env: dict[str, Any], record: dict[str, Any], at: datetime
    ) -> list[dict[str, Any]]:
        event_type = env["event_type"]
        regime = env["legal_regime"]
        unit = env["admin_unit_code"]
        province = places.current_province_of(unit)
        started = []
        for name in self._starting.get(event_type, ()):
            duty = self._duty(name, event_type, env, regime, at, province)
            if duty is None:
                continue
            kind = k.kind(name)
            key = _fit(kind.start_key(env, record))
            same = [ob for ob in existing + started if ob["kind"] == name and ob["match_key"] == key]
            if any(ob["status"] == OPEN for ob in same) or (kind.once and same):
                continue  # the clock already runs (or, for a once-only duty, already ran)
            reasons: list[str] = []
            office, office_reason = self._office(duty["responsible_party"], env, record, at)
            if office_reason:
                reasons.append(office_reason)
            due: datetime | None = None
            if duty.pop("ruled"):
                try:
                    due = utc(self.rules.due(name, regime, at, province=province))
                except RuleNotFound as err:
                    reasons.append(f"no due time: {err}")
            else:
                reasons.append(f"no deadline '{name}' in the rules: listed without a due time")
            # A provincial lead oversees the offices of its province: a national office belongs to none,
            # a duty nobody could be found for stays with the province where it arose.
            agency = self.registry.find(office) if office else None
            office_province = province if agency is None else places.current_place(agency.jurisdiction)[0]
            started.append(
                {
                    "obligation_id": f"{name}:{env['event_id']}",
                    "kind": name,
                    "case_id": env["case_id"],
                    "person_ref": env.get("subject_person_ref"),
                    "match_key": key,
                    "unit_code": unit,
                    "province_code": office_province,
                    "responsible_agency_code": office,
                    "responsible_agency_type": agency.agency_type if agency else duty["responsible_party"],
                    "regime": regime,
                    "start_event_id": env["event_id"],
                    "start_event_type": event_type,
                    "started_at": at,
                    "due_at": due,
                    "satisfied_at": None,
                    "satisfied_event_id": None,
                    "satisfied_event_type": None,
                    "lifted_at": None,
                    "status": OPEN,
                    "reason": "; ".join(reasons) or None,
                    **duty,
                }
            )
        return started

    def _duty(
        self, name: str, event_type: str, env: dict[str, Any], regime: str, at: datetime, province: str | None
    ) -> dict[str, Any] | None:
        """The deadline row's terms if `name` binds this event on its day, else None."""
        if name not in self._ruled:
            unruled = k.UNRULED[name]
            if unruled.starts_from != event_type:
                return None
            return {
                "ruled": False,
                "responsible_party": unruled.responsible_agency_type,
                "deadline_kind": "deadline",
                "period_value": None,
                "period_unit": None,
                "legal_basis": unruled.legal_basis,
                "uncertain": False,
                "design_choice": False,
                "satisfied_by": " ".join(sorted(unruled.satisfied_by)),
            }
        try:
            row = self.rules.deadline(name, regime, at, province=province)
        except RuleNotFound:
            return None  # no such duty under this regime on that day
        if not row.starts_on(event_type):
            return None
        if row.responsible_agency_type in k.NOT_AN_OFFICE:
            return None
        if row.started_by and env["emitter_agency_type"] not in row.started_by:
            return None
        if row.hours is not None:
            value, unit = row.hours, "hours"
        elif row.months is not None:
            value, unit = row.months, "months"
        else:
            value, unit = row.days, "working_days" if row.calendar == "working" else "days"
        return {
            "ruled": True,
            "responsible_party": row.responsible_agency_type,
            "deadline_kind": row.kind,
            "period_value": value,
            "period_unit": unit,
            "legal_basis": row.legal_basis,
            "uncertain": row.uncertain,
            "design_choice": row.design_choice,
            "satisfied_by": " ".join(sorted(row.satisfied_by)),
        }

    def _office(
        self, responsible: str, env: dict[str, Any], record: dict[str, Any], at: datetime
    ) -> tuple[str | None, str | None]:
        """The concrete office that answers for the duty: (agency code, or None with the reason)."""
        if responsible == "emitter":
            return env["emitter_agency_code"], None
        if responsible == "addressee":
            code = record.get("to_agency_code") or record.get("target_agency_code")
            if code and self.registry.find(code) is not None:
                return code, None
            return None, f"the addressee {(code or '(none)')[:64]!r} is not a registered agency"
        for field in k.OFFICE_FIELDS:
            code = record.get(field)
            agency = self.registry.find(code) if code else None
            if agency is not None and agency.agency_type == responsible:
                return agency.code, None
        if env["emitter_agency_type"] == responsible:
            return env["emitter_agency_code"], None
        return self._office_over(responsible, env["admin_unit_code"], at.astimezone(VIETNAM).date())

    def _office_over(self, responsible: str, unit: str, day: date) -> tuple[str | None, str | None]:
        # Asked for many facts of the same place and day; the registry is fixed for the view's life.
        key = (responsible, unit, day)
        found = self._offices.get(key)
        if found is None:
            if len(self._offices) >= _OFFICE_CACHE_SIZE:
                self._offices.clear()  # bounded: memory stays flat however long the log
            found = self._offices[key] = self._find_office(responsible, unit, day)
        return found

    def _find_office(self, responsible: str, unit: str, day: date) -> tuple[str | None, str | None]:
        found = [a for a in self.registry.in_jurisdiction(unit, day) if a.agency_type == responsible]
        if found:
            return min(found, key=lambda a: (_LEVEL_ORDER.get(a.level, 9), a.code)).code, None
        return None, f"no {responsible} office over {unit} on {day}"


_OFFICE_CACHE_SIZE = 20_000


def _fit(key: str | None) -> str | None:
    """A match key short enough for its column (ids are free text in the contracts)."""
    if key is None or len(key) <= MAX_KEY:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()
