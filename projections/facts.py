"""What a projection consumes: a decoded record with its place in the log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EVENT = "event"
REJECTION = "rejection"


@dataclass(frozen=True, slots=True)
class Fact:
    source: str  # Kafka topic, or the embedded log's table
    partition: int
    offset: int
    kind: str  # EVENT or REJECTION
    record: dict[str, Any]
    # Read by every view for every fact (~90 reads a fact): kept as attributes, not computed each time.
    # A rejection's record has no envelope: both are None there (views look at `kind` first).
    envelope: dict[str, Any] = field(init=False, repr=False, compare=False)
    event_type: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        envelope = self.record.get("envelope")
        object.__setattr__(self, "envelope", envelope)
        object.__setattr__(self, "event_type", envelope.get("event_type") if envelope else None)
