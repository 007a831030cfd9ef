"""The views. Each is pure: prefetch(fact) names the rows it reads, apply(rows, fact) changes them."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Protocol

from lienthong.projections.facts import Fact
from lienthong.projections.rows import RowSet


class View(Protocol):
    name: str

    def prefetch(self, fact: Fact) -> list[tuple[str, object]]: ...

    def apply(self, rows: RowSet, fact: Fact) -> None: ...


# View families kept in packages of their own; each exposes `views() -> list[View]`.
VIEW_FAMILIES = (
    "lienthong.projections.agency_views",
    "lienthong.projections.reporting",
    "lienthong.projections.alerts",
    "lienthong.projections.timeline",
)


def default_views() -> list[View]:
    from lienthong.projections.views.case_register import CaseRegister
    from lienthong.projections.views.commune_caseload import CommuneCaseload
    from lienthong.projections.views.persons import Persons
    from lienthong.projections.views.submission_outcomes import SubmissionOutcomes

    found: list[View] = [CaseRegister(), CommuneCaseload(), SubmissionOutcomes(), Persons()]
    for family in VIEW_FAMILIES:
        if importlib.util.find_spec(family) is not None:
            found.extend(importlib.import_module(family).views())
    return found
