"""Need-to-know views, one per agency mandate (DOMAIN.md §a "Needs to see", §f; ARCHITECTURE rule 10).

Each module holds one view: its own table with only the fields that agency's mandate needs, a pure
`prefetch`/`apply`, and the `SPEC` the read API serves it by. Who may read which view, under which
scope, which columns and whether personal data may be opened is data: services/data/view_access.toml,
loaded and validated by `access.load`. Every read of personal data goes to `access_log`.
"""

from __future__ import annotations

from lienthong.projections.agency_views import (
    border_receipts,
    commune_people,
    education_children,
    facility_residents,
    finance_payments,
    foreign_affairs_abroad,
    health_register,
    hotline_tips,
    justice_reconciliation,
    legal_aid_cases,
    police_area,
)
from lienthong.projections.agency_views._common import CONTEXT, PERSONS, CaseContext, ViewSpec
from lienthong.projections.views import View

_VIEWS = (
    (health_register, health_register.HealthRegister),
    (police_area, police_area.PoliceArea),
    (border_receipts, border_receipts.BorderReceipts),
    (facility_residents, facility_residents.FacilityResidents),
    (commune_people, commune_people.CommunePeople),
    (legal_aid_cases, legal_aid_cases.LegalAidCases),
    (education_children, education_children.EducationChildren),
    (finance_payments, finance_payments.FinancePayments),
    (foreign_affairs_abroad, foreign_affairs_abroad.ForeignAffairsAbroad),
    (justice_reconciliation, justice_reconciliation.JusticeReconciliation),
    (hotline_tips, hotline_tips.HotlineTips),
)

SPECS: dict[str, ViewSpec] = {module.SPEC.name: module.SPEC for module, _ in _VIEWS}


def views() -> list[View]:
    """The case context first (the others read it, already updated with the fact), then every view."""
    return [CaseContext(), *(cls() for _, cls in _VIEWS)]


def tables() -> list[str]:
    """Every table of the family, private ones included (for rebuild comparisons)."""
    return [CONTEXT, PERSONS, *(spec.table.name for spec in SPECS.values())]
