"""The reporting view family: per-person statistical facts, per-event services and activities, tips.

Picked up by both runtimes through `lienthong.projections.views.VIEW_FAMILIES`. The reports that read
it live in `lienthong.reports`.
"""

from __future__ import annotations

from lienthong.projections.reporting import tables  # noqa: F401  (registers the tables on the metadata)
from lienthong.projections.reporting.view import Reporting


def views() -> list:
    return [Reporting()]
