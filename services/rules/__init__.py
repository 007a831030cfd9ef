"""Rules as data: effective-dated mandates, deadlines, entitlements, provincial rates, holidays and
legal regimes, loaded from TOML files in data/ and validated at start (ARCHITECTURE rule 9).

    rules = Rules.load()                       # or default_rules() for the cached packaged set
    rules.mandate_for("provincial_health", "P", "InitialVerificationCompleted", date(2025, 7, 3))
    rules.due("initial_verification", "L2024", started_at)
"""

from lienthong.rules.calendar import VIETNAM, HolidayRow
from lienthong.rules.deadlines import DeadlineRow
from lienthong.rules.entitlements import EntitlementRow
from lienthong.rules.errors import Problem, RuleNotFound, RulesError
from lienthong.rules.mandates import AgencyTypePeriod, MandateRow, RoleHolding
from lienthong.rules.rates import RateRow
from lienthong.rules.regimes import RegimeRow, TransitionalRule
from lienthong.rules.rules import Overlay, Rules, default_rules

__all__ = [
    "VIETNAM",
    "AgencyTypePeriod",
    "DeadlineRow",
    "EntitlementRow",
    "HolidayRow",
    "MandateRow",
    "Overlay",
    "Problem",
    "RateRow",
    "RegimeRow",
    "RoleHolding",
    "RuleNotFound",
    "Rules",
    "RulesError",
    "TransitionalRule",
    "default_rules",
]
