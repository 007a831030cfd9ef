"""Sizes of each mode. ``full`` is the issue's (#5) specification; ``quick`` and ``tiny`` scale it down.

Growth and rebuild sizes are event counts; the largest log is made once and the smaller ones are its
prefixes (the generator is deterministic per seed, so the first cases are the same at every size).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

SCENARIOS = ("write", "rebuild", "latency", "embedded", "growth")


@dataclass
class BenchConfig:
    mode: str
    seed: int = 7
    scenarios: tuple[str, ...] = SCENARIOS
    # 1. write path
    write_submissions: int = 100_000
    write_partitions: tuple[int, ...] = (1, 2)
    write_timeout: float = 900.0
    write_repeats: int = 3  # exchange and pipe alternately, best of each
    pp_min_records: int = 100_000
    # 2. rebuild
    rebuild_sizes: tuple[int, ...] = (100_000, 1_000_000)
    rebuild_batch: int = 5000  # facts per Projector.apply, as the Kafka projector's default batch
    rebuild_profile_events: int = 20_000
    rebuild_experiment_events: int = 20_000
    # 3. latency
    latency_rates: tuple[int, ...] = (200, 1000)
    latency_seconds: float = 60.0
    latency_drain: float = 30.0  # after the last send, how long a submission may take to show up
    # 4. embedded
    embedded_submissions: int = 5_000
    embedded_concurrency: int = 8
    # 5. growth
    growth_sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    growth_timeout: float = 1800.0
    profile: bool = True
    kafka_attach: dict[str, Any] = field(default_factory=dict)  # state_dir/port of a running broker
    postgres_url: str | None = None

    def scaled(self, factor: float) -> BenchConfig:
        """Every size multiplied by ``factor`` (--scale), rates and durations unchanged."""

        def s(x: int) -> int:
            return max(10, round(x * factor))

        return dataclasses.replace(
            self,
            write_submissions=s(self.write_submissions),
            pp_min_records=s(self.pp_min_records),
            rebuild_sizes=tuple(s(x) for x in self.rebuild_sizes),
            embedded_submissions=s(self.embedded_submissions),
            growth_sizes=tuple(s(x) for x in self.growth_sizes),
        )

    def public(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["kafka_attach"] = {k: str(v) for k, v in self.kafka_attach.items()}
        out["postgres_url"] = "given" if self.postgres_url else None
        return out


def preset(mode: str) -> BenchConfig:
    if mode == "full":
        return BenchConfig(mode="full")
    if mode == "quick":
        return BenchConfig(
            mode="quick",
            write_submissions=4_000,
            write_partitions=(1, 2),
            write_timeout=300,
            write_repeats=2,
            pp_min_records=20_000,
            rebuild_sizes=(5_000, 20_000),
            rebuild_profile_events=3_000,
            rebuild_experiment_events=3_000,
            latency_rates=(200, 1000),
            latency_seconds=5,
            latency_drain=20,
            embedded_submissions=600,
            growth_sizes=(2_000, 8_000, 20_000),
            growth_timeout=300,
        )
    if mode == "tiny":
        return BenchConfig(
            mode="tiny",
            write_submissions=600,
            write_partitions=(1,),
            write_timeout=120,
            write_repeats=1,
            pp_min_records=5_000,
            rebuild_sizes=(500, 2_000),
            rebuild_batch=200,
            rebuild_profile_events=500,
            rebuild_experiment_events=500,
            latency_rates=(200,),
            latency_seconds=2,
            latency_drain=15,
            embedded_submissions=200,
            growth_sizes=(300, 1_000, 2_000),
            growth_timeout=120,
            profile=False,
        )
    raise ValueError(f"unknown mode {mode!r}")
