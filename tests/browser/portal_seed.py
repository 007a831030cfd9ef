"""A synthetic exchange for the portal tests (browser and TestClient): embedded runtime over SQLite,
cases from `lienthong.scenarios` in two communes of Đà Nẵng (48) and one of Hải Phòng (31), and an
officer account for each agency the tests sign in as."""

from __future__ import annotations

import importlib
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lienthong.portal.accounts import Accounts
from lienthong.portal.web import build_accounts
from lienthong.projections import views as view_families
from lienthong.scenarios import cases
from tests.fixtures.exchange import Exchange, embedded_settings, open_exchange

TIMELINE_FAMILY = "lienthong.projections.timeline"
COMMUNE_A, COMMUNE_B = "20242", "20257"  # Phường Hải Châu, Phường Hòa Cường (Đà Nẵng)
PASSWORD = "mat-khau-thu-nghiem-01"
OFFICERS = {  # username -> (agency, display name)
    "xa-haichau": ("UBND-XA-20242", "Nguyễn Thị Lan"),
    "xa-hoacuong": ("UBND-XA-20257", "Trần Văn Bình"),
    "syt-danang": ("SYT-48", "Lê Thị Hoa"),
    "syt-haiphong": ("SYT-31", "Phạm Văn Nam"),
    "ca-danang": ("CA-TINH-48", "Đỗ Minh Quân"),
}


@dataclass
class PortalWorld:
    exchange: Exchange
    accounts: Accounts
    case_a: str  # in commune A, with a protection measure applied
    case_b: str  # in commune B
    case_hp: str  # in a commune of province 31
    names: dict[str, str] = field(default_factory=dict)  # case id -> the person's full name (sealed)


def register_timeline_family() -> None:
    """Until `lienthong.projections.timeline` is listed in VIEW_FAMILIES, add it for the tests' process
    (the projector is built after this, so it creates and fills the case_timeline table)."""
    if TIMELINE_FAMILY not in view_families.VIEW_FAMILIES:
        view_families.VIEW_FAMILIES = (*view_families.VIEW_FAMILIES, TIMELINE_FAMILY)
    importlib.import_module(TIMELINE_FAMILY)


def _pick_cases(count: int = 40, seed: int = 7) -> OrderedDict[str, list[tuple[str, dict]]]:
    """The first scenario case of commune A, of commune B and of any commune of province 31."""
    by_case: OrderedDict[str, list[tuple[str, dict]]] = OrderedDict()
    for agency, body in cases(count, seed=seed):
        by_case.setdefault(body["case_id"], []).append((agency, body))
    chosen: OrderedDict[str, list[tuple[str, dict]]] = OrderedDict()
    wanted = {COMMUNE_A: None, COMMUNE_B: None, "31": None}
    for case_id, subs in by_case.items():
        unit = subs[0][1]["admin_unit_code"]
        key = unit if unit in (COMMUNE_A, COMMUNE_B) else "31" if subs[1][0] == "SYT-31" else None
        if key and wanted[key] is None:
            wanted[key] = case_id
            chosen[case_id] = subs
    missing = [k for k, v in wanted.items() if v is None]
    assert not missing, f"no scenario case in {missing} among {count} cases: raise the count"
    chosen.move_to_end(wanted[COMMUNE_A], last=False)
    return chosen


def _protection(case_id: str, after: str) -> tuple[str, dict]:
    """Commune A's police protect the person of case A (Decree 62 Art. 7: keep the residence secret)."""
    return "CA-XA-20242", {
        "submission_id": f"protect-{case_id}",
        "case_id": case_id,
        "event_type": "ProtectionMeasureApplied",
        "occurred_at": (datetime.fromisoformat(after) + timedelta(hours=1)).isoformat(),
        "admin_unit_code": COMMUNE_A,
        "actor": "can-bo-ca-01",
        "payload": {"measure_code": "ND62-A7-2", "decision_org": "CA-XA-20242", "risk_level": "high"},
    }


def build_world(tmp_path) -> PortalWorld:
    register_timeline_family()
    exchange = open_exchange(embedded_settings(tmp_path))
    picked = _pick_cases()
    case_a, case_b, case_hp = list(picked)
    reception = picked[case_a][1][1]
    picked[case_a].insert(2, _protection(case_a, reception["occurred_at"]))
    names: dict[str, str] = {}
    for case_id, subs in picked.items():
        for agency, body in subs:
            status, out = exchange.submit(agency, body)
            # 409: the scenarios send some certificates too early on purpose (refused, then sent again)
            assert status in (201, 409), (status, out)
            if body.get("personal_data"):
                names[case_id] = body["personal_data"]["full_name"]
    accounts = build_accounts(exchange.services)
    for username, (agency, display) in OFFICERS.items():
        accounts.create(username, agency, PASSWORD, display)
    return PortalWorld(exchange, accounts, case_a, case_b, case_hp, names)
