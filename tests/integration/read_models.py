"""Helpers to compare read models across runtimes and databases."""

from __future__ import annotations

from sqlalchemy import Engine, select

from lienthong.projections import tables as t

# The decision time and the person refs the door mints (random, by design) differ between runs;
# every other fact must not.
_VOLATILE = {"decided_at", "person_ref"}


def snapshot(engine: Engine, *, volatile: frozenset[str] = frozenset(_VOLATILE)) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    with engine.connect() as conn:
        for name in ("case_register", "commune_caseload", "submission_outcomes"):
            table = t.metadata.tables[name]
            cols = [c for c in table.columns if c.name not in volatile and c.name != "sealed_personal_data"]
            rows = conn.execute(select(*cols)).all()
            out[name] = sorted(tuple(_norm(v) for v in row) for row in rows)
    return out


def _norm(value):
    if hasattr(value, "isoformat"):
        return value.replace(tzinfo=None).isoformat() if getattr(value, "tzinfo", None) else value.isoformat()
    return value
