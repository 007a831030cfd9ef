"""National hotline 111: every tip it took or forwarded, to whom, whether each recipient acknowledged it,
and the outcome reported back (closing the loop, Decree 162 Art. 4-5; [S001] §II.1 "100% forwarded").

The recorded narrative stays sealed and is not here; neither is anything from the case a tip opened.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, String, Table, Text

from lienthong.projections.agency_views._common import (
    OWN_PROVINCE,
    ViewSpec,
    context,
    iso,
    jdump,
    jload,
    new_row,
    place,
)
from lienthong.projections.facts import EVENT, Fact
from lienthong.projections.rows import RowSet
from lienthong.projections.tables import metadata

NAME = "hotline_tips"
TABLE = "av_hotline_tips"
HOTLINE = "hotline_111"

table = Table(
    TABLE,
    metadata,
    Column("case_id", String, primary_key=True),
    Column("province_code", String, index=True),  # where the tip points
    Column("visible", Boolean, nullable=False),  # taken or forwarded by the hotline
    Column("received_at", String, nullable=False),
    Column("received_by", String, nullable=False),
    Column("channel", String),
    Column("reporter_type", String),
    Column("child_flag", Boolean),
    Column("suspected_count", Integer),
    # JSON [{target_agency_code, forwarded_at, channel, acknowledged_at}]
    Column("forwards", Text, nullable=False),
    Column("forwarded", Boolean, nullable=False),
    Column("all_acknowledged", Boolean, nullable=False),
    Column("outcome", String),
    Column("outcome_by", String),
    Column("outcome_at", String),
    Column("case_opened", Boolean, nullable=False),
)

SPEC = ViewSpec(
    name=NAME,
    table=table,
    key="case_id",
    scopes={OWN_PROVINCE: "province_code"},
    visible="visible",
    json_columns=frozenset({"forwards"}),
)


class HotlineTips:
    name = f"agency_views.{NAME}"

    def prefetch(self, fact: Fact) -> list[tuple[str, object]]:
        return [(TABLE, fact.envelope["case_id"])] if fact.kind == EVENT else []

    def apply(self, rows: RowSet, fact: Fact) -> None:
        ctx = context(rows, fact)
        if ctx is None or ctx["kind"] != "case":
            return
        env, record, event_type = fact.envelope, fact.record, fact.event_type
        case_id = env["case_id"]
        at = iso(env["occurred_at"])
        row = rows.get(TABLE, case_id)
        if event_type == "TipReceived":
            row = new_row(
                table,
                case_id=case_id,
                province_code=place(record["location_code"])[0] or ctx["province_code"],
                visible=env["emitter_agency_type"] == HOTLINE,
                received_at=at,
                received_by=env["emitter_agency_code"],
                channel=record["channel"],
                reporter_type=record["reporter_type"],
                child_flag=record["child_flag"],
                suspected_count=record["suspected_count"],
                forwards="[]",
                forwarded=False,
                all_acknowledged=False,
                case_opened=False,
            )
            rows.put(TABLE, case_id, row)
            return
        if row is None:
            return
        rows.touch(TABLE, case_id)
        forwards = jload(row["forwards"], [])
        if event_type == "TipForwarded":
            forwards.append(
                {
                    "target_agency_code": record["target_agency_code"],
                    "forwarded_at": iso(record["forwarded_at"]),
                    "channel": record["channel"],
                    "acknowledged_at": None,
                }
            )
            row["visible"] = row["visible"] or env["emitter_agency_type"] == HOTLINE
        elif event_type == "TipAcknowledged":
            for forward in forwards:
                if (
                    forward["target_agency_code"] == env["emitter_agency_code"]
                    and not forward["acknowledged_at"]
                ):
                    forward["acknowledged_at"] = iso(record["acknowledged_at"])
        elif event_type == "TipOutcomeReported":
            row.update(outcome=record["outcome"], outcome_by=env["emitter_agency_code"], outcome_at=at)
            row["case_opened"] = record["outcome"] == "case_opened" or bool(record.get("linked_case_id"))
        row["forwards"] = jdump(forwards)
        row["forwarded"] = bool(forwards)
        row["all_acknowledged"] = bool(forwards) and all(f["acknowledged_at"] for f in forwards)
