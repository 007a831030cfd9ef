"""Who sees what on a case: the jurisdiction rule, the need-to-know rule for timeline events
(services/portal/timeline_fields.toml) and the rule for opening personal data."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from lienthong import places
from lienthong.agencies import AGENCY_TYPES, Agency
from lienthong.projections.timeline.view import PERSONAL_FIELDS
from lienthong.schemas.catalogue import Catalogue

ALL = "*"


@dataclass(frozen=True)
class TypeRule:
    events: dict[str, frozenset[str]]  # event type (or "*") -> fields (or {"*"})
    hide: frozenset[str] = frozenset()
    flag_only: frozenset[str] = frozenset()
    personal_data: bool = False

    def fields_for(self, event_type: str) -> frozenset[str] | None:
        """The payload fields shown for `event_type`, or None when the event is not shown at all."""
        if event_type in self.hide:
            return None
        if event_type in self.events:
            return self.events[event_type]
        return self.events.get(ALL)


@dataclass(frozen=True)
class Visibility:
    rules: dict[str, TypeRule] = field(default_factory=dict)

    def rule(self, agency_type: str) -> TypeRule:
        return self.rules.get(agency_type) or TypeRule({})

    def timeline(self, agency_type: str, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
        """The rows this agency type may see, each with `fields` (the shown payload) and `flag`
        (a protection flag without detail); and how many rows were left out."""
        rule = self.rule(agency_type)
        shown: list[dict[str, Any]] = []
        hidden = 0
        for row in rows:
            event_type = row["event_type"]
            if event_type in rule.flag_only:
                shown.append({**_envelope(row), "fields": {}, "flag": True})
                continue
            allowed = rule.fields_for(event_type)
            if allowed is None:
                hidden += 1
                continue
            payload = json.loads(row["payload_json"] or "{}")
            fields = {
                k: v
                for k, v in payload.items()
                if (ALL in allowed or k in allowed) and k not in PERSONAL_FIELDS and v not in (None, [], {})
            }
            shown.append({**_envelope(row), "fields": fields, "flag": False})
        return shown, hidden


def _envelope(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: row[k]
        for k in (
            "event_id",
            "version",
            "event_type",
            "occurred_at",
            "emitter_agency_code",
            "admin_unit_code",
        )
    }


def case_unit(case: dict[str, Any]) -> str:
    return case.get("commune_code") or case.get("province_code") or ""


def may_see_case(agency: Agency, case: dict[str, Any]) -> bool:
    unit = case_unit(case)
    return bool(unit) and places.within(unit, agency.jurisdiction)


def may_open_personal_data(agency: Agency, case: dict[str, Any], visibility: Visibility) -> bool:
    """Only the lead agency of the case's own province (a rule marked personal_data, province level)."""
    return (
        visibility.rule(agency.agency_type).personal_data
        and agency.level == "P"
        and bool(case.get("province_code"))
        and agency.jurisdiction == case["province_code"]
    )


def load(text: str, catalogue: Catalogue | None = None) -> Visibility:
    """Parse and check the rules: known agency types, event types and fields; no personal field."""
    catalogue = catalogue or Catalogue.default()
    known_events = set(catalogue.event_types())
    data = tomllib.loads(text)
    unknown_top = set(data) - {"agency"}
    if unknown_top:
        raise ValueError(f"timeline_fields: unknown sections {sorted(unknown_top)}")
    rules: dict[str, TypeRule] = {}
    for agency_type, spec in data.get("agency", {}).items():
        where = f"timeline_fields [agency.{agency_type}]"
        if agency_type not in AGENCY_TYPES:
            raise ValueError(f"{where}: unknown agency type")
        extra = set(spec) - {"events", "hide", "flag_only", "personal_data"}
        if extra:
            raise ValueError(f"{where}: unknown keys {sorted(extra)}")
        events: dict[str, frozenset[str]] = {}
        for event_type, fields in spec.get("events", {}).items():
            if event_type != ALL and event_type not in known_events:
                raise ValueError(f"{where}: unknown event type {event_type!r}")
            if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
                raise ValueError(f"{where}.events.{event_type}: must be a list of field names")
            if event_type != ALL:
                schema_fields = _fields(catalogue, event_type)
                for f in fields:
                    if f != ALL and f not in schema_fields:
                        raise ValueError(f"{where}.events.{event_type}: {f!r} is not a field of the event")
            personal = set(fields) & PERSONAL_FIELDS
            if personal:
                raise ValueError(
                    f"{where}.events.{event_type}: personal fields {sorted(personal)} never show"
                )
            events[event_type] = frozenset(fields)
        for key in ("hide", "flag_only"):
            for event_type in spec.get(key, []):
                if event_type not in known_events:
                    raise ValueError(f"{where}.{key}: unknown event type {event_type!r}")
        personal_data = spec.get("personal_data", False)
        if not isinstance(personal_data, bool):
            raise ValueError(f"{where}.personal_data: must be true or false")
        rules[agency_type] = TypeRule(
            events, frozenset(spec.get("hide", [])), frozenset(spec.get("flag_only", [])), personal_data
        )
    return Visibility(rules)


def _fields(catalogue: Catalogue, event_type: str) -> set[str]:
    return {
        f["name"]
        for sv in catalogue.versions(event_type)
        for f in sv.schema.get("fields", [])
        if f["name"] != "envelope"
    }


@cache
def default_visibility() -> Visibility:
    return load(resources.files("lienthong.portal").joinpath("timeline_fields.toml").read_text("utf-8"))
