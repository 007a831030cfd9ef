"""The views. Each is pure: prefetch(fact) names the rows it reads, apply(rows, fact) changes them."""

from __future__ import annotations

from typing import Protocol

from lienthong.projections.facts import Fact
from lienthong.projections.rows import RowSet


class View(Protocol):
    name: str

    def prefetch(self, fact: Fact) -> list[tuple[str, object]]: ...

    def apply(self, rows: RowSet, fact: Fact) -> None: ...


def default_views() -> list[View]:
    from lienthong.projections.views.case_register import CaseRegister
    from lienthong.projections.views.commune_caseload import CommuneCaseload
    from lienthong.projections.views.persons import Persons
    from lienthong.projections.views.submission_outcomes import SubmissionOutcomes

    return [CaseRegister(), CommuneCaseload(), SubmissionOutcomes(), Persons()]
