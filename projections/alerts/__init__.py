"""Deadlines and alerts: the obligations the log has started, per responsible office (issue #4).

`views()` plugs the obligations view into every projector (projections/views VIEW_FAMILIES); the
gateway's `lienthong.gateway.alerts` answers from its table, deciding lateness as of the question's time
with `status.evaluate`.
"""

from __future__ import annotations

from lienthong.projections.alerts.tables import obligation_cases, obligations
from lienthong.projections.alerts.view import Obligations

__all__ = ["Obligations", "obligation_cases", "obligations", "views"]


def views() -> list[Obligations]:
    return [Obligations()]
