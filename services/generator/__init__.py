"""A synthetic world: realistic, valid multi-agency case histories 2023-2026 as gateway submissions.

    from lienthong.generator import generate
    for agency, body in generate(20_000, seed=7):
        ...

Deterministic for a seed (ids are drawn from a seeded random source, never uuid4), streaming (only open
cases are in memory), and sized by `events` from a demo to millions. Each body may carry private keys
the gateway ignores and the CLI strips: "_expect" ("accepted" or "rejected:<code>", the decider's outcome
the generator planned) and "_truth" (which real person a new person ref is, which refs a merge joins).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from lienthong.generator.engine import Engine

__all__ = ["PRIVATE_KEYS", "generate", "public"]

PRIVATE_KEYS = ("_expect", "_truth")


def generate(
    events: int,
    seed: int,
    *,
    start: date = date(2023, 1, 1),
    end: date = date(2026, 10, 31),
    provinces: Iterable[str] | None = None,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (agency code, submission body) pairs in submission order: `events` of them, dated from
    `start` to `end` (Vietnam time), in today's provinces `provinces` (two-digit codes; default all)."""
    chosen = tuple(sorted(provinces)) if provinces is not None else None
    return Engine(events, seed, start, end, chosen).run()


def public(body: dict[str, Any]) -> dict[str, Any]:
    """The body as the gateway should receive it: without the generator's private keys."""
    return {k: v for k, v in body.items() if not k.startswith("_")}
