"""What a projection consumes: a decoded record with its place in the log."""

from __future__ import annotations

from dataclasses import dataclass
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

    @property
    def event_type(self) -> str:
        return self.record["envelope"]["event_type"]

    @property
    def envelope(self) -> dict[str, Any]:
        return self.record["envelope"]
