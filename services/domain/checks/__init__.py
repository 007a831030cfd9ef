"""The decider's checks, in the order an officer would ask: who is asking, about what, and may it happen.

Each check takes the Context and returns a Refusal or None; the first refusal wins.
"""

from __future__ import annotations

from collections.abc import Callable

from lienthong.domain.checks import authority, lifecycle, records, support, workflows
from lienthong.domain.context import Context
from lienthong.domain.model import Refusal

Check = Callable[[Context], Refusal | None]

CHECKS: tuple[Check, ...] = (
    authority.agency_active,
    authority.unit_valid,
    authority.mandate_and_jurisdiction,
    lifecycle.version_is_current,
    lifecycle.fits_the_case,
    lifecycle.subject_status,
    support.entitled,
    support.paid_at_the_rate,
    workflows.referral,
    workflows.transfer,
    workflows.application,
    workflows.consent,
    records.merges,
    records.corrections,
    records.minors,
)


def first_refusal(ctx: Context) -> Refusal | None:
    for check in CHECKS:
        refusal = check(ctx)
        if refusal is not None:
            return refusal
    return None
