"""The functional core: pure decide/evolve over case state. No I/O lives here (ARCHITECTURE rule 1)."""

from lienthong.domain.decide import decide
from lienthong.domain.evolve import evolve, evolve_rejection
from lienthong.domain.model import CaseState, Decision, Refusal, Submission

__all__ = ["CaseState", "Decision", "Refusal", "Submission", "decide", "evolve", "evolve_rejection"]
