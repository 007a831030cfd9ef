"""The projector's row plumbing: what it writes and reads back must not depend on its fast paths."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from lienthong.projections import tables as t
from lienthong.projections import writes
from lienthong.projections.facts import EVENT, REJECTION, Fact
from lienthong.projections.rows import RowSet, to_db
from lienthong.projections.views import default_views
from lienthong.store import make_engine

default_views()  # registers every view's table in the shared metadata

AT = datetime(2025, 7, 3, 4, 5, 6, 789, tzinfo=UTC)


def _sample_rows() -> dict[str, list[dict]]:
    tables = t.metadata.tables
    ctx = dict.fromkeys(tables["av_case_context"].columns.keys())
    ctx.update(
        case_id="HS-1",
        kind="case",
        status="received",
        closed=False,
        protection=[{"measure_code": "M2", "risk_level": "high", "note": "Bảo vệ"}],
        protection_requests="[]",
        protection_refused=True,
        family_unsafe=False,
        need_codes=["b", "a"],
        criminal_cases={"z": {"stage": "x"}, "a": {"stage": "y"}},
        view_keys="{}",
        first_event_at="2025-07-03T04:05:06+00:00",
        last_event_at="2025-07-03T04:05:06+00:00",
    )
    partial = {"case_id": "HS-2", "kind": "stream", "status": "tip", "closed": True}  # columns missing
    timeline = {
        "event_id": "E-1",
        "case_id": "HS-1",
        "version": 1,
        "event_type": "PersonReported",
        "occurred_at": AT,
        "emitter_agency_code": "CA-01",
        "admin_unit_code": "01",
        "payload_json": "{}",
    }
    report = dict.fromkeys(tables["report_tips"].columns.keys())
    report.update(
        case_id="HS-3", received_on=date(2025, 7, 3), child_flag=True, forwards=2, acknowledgements=0
    )
    return {"av_case_context": [ctx, partial], "case_timeline": [timeline], "report_tips": [report]}


@pytest.mark.parametrize("dialect_name", ["sqlite", "postgresql"])
def test_params_are_the_stored_rows_converted_per_column(dialect_name: str) -> None:
    if dialect_name == "sqlite":
        from sqlalchemy.dialects.sqlite import pysqlite

        dialect = pysqlite.dialect()
    else:
        from sqlalchemy.dialects.postgresql import psycopg

        dialect = psycopg.dialect()
    for name, rows in _sample_rows().items():
        table = t.metadata.tables[name]
        plan = writes._render(table, dialect)
        expected = []
        for row in map(to_db, rows):  # the path before: stored row, then each column's conversion
            values = []
            for column in table.columns:
                conv = column.type.dialect_impl(dialect).bind_processor(dialect)
                value = row.get(column.name)
                values.append(conv(value) if conv else value)
            expected.append(tuple(values))
        assert plan.params(rows) == expected
        assert plan.params([to_db(r) for r in rows]) == expected  # stored rows pass through unchanged


def test_to_db_is_canonical_json() -> None:
    row = {"a": {"b": 1, "a": ["Bảo vệ"]}, "n": 1}
    assert to_db(row)["a"] == json.dumps(row["a"], ensure_ascii=False, sort_keys=True)


def test_rows_read_back_as_sqlalchemy_reads_them(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'rm.db'}")
    t.metadata.create_all(engine)
    samples = {  # complete rows only: a partial one breaks NOT NULL columns
        name: [r for r in rows if len(r) == len(t.metadata.tables[name].columns)]
        for name, rows in _sample_rows().items()
    }
    with engine.begin() as conn:
        for name, rows in samples.items():
            writes.upsert(conn, t.metadata.tables[name], rows)
    with engine.connect() as conn:
        for name, rows in samples.items():
            table = t.metadata.tables[name]
            (pk,) = table.primary_key.columns
            keys = [r[pk.name] for r in rows] + ["absent"]
            fast = RowSet(conn, t.metadata.tables)
            fast.prefetch((name, k) for k in keys)
            expected = {r[pk.name]: dict(r) for r in conn.execute(select(table)).mappings()}
            for k in keys:
                assert fast.get(name, k) == expected.get(k)
    engine.dispose()


def test_fact_keeps_envelope_and_event_type() -> None:
    envelope = {"event_type": "PersonReported", "case_id": "HS-1"}
    fact = Fact("events", 0, 1, EVENT, {"envelope": envelope, "x": 1})
    assert fact.envelope is envelope and fact.event_type == "PersonReported"
    assert fact == Fact("events", 0, 1, EVENT, {"envelope": envelope, "x": 1})
    rejection = Fact("rejections", 0, 1, REJECTION, {"submission_id": "s"})
    assert rejection.envelope is None and rejection.event_type is None
