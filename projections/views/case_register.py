"""The case register: one row per case with its status, place and classifications."""

from __future__ import annotations

import base64
import json

from lienthong import places
from lienthong.contracts import PERSONAL_DATA_FIELD
from lienthong.domain.lifecycle import next_status
from lienthong.projections.facts import EVENT, Fact
from lienthong.projections.rows import RowSet

TABLE = "case_register"


class CaseRegister:
    name = "case_register"

    def prefetch(self, fact: Fact) -> list[tuple[str, object]]:
        return [(TABLE, fact.envelope["case_id"])] if fact.kind == EVENT else []

    def apply(self, rows: RowSet, fact: Fact) -> None:
        if fact.kind != EVENT:
            return
        env, record = fact.envelope, fact.record
        case_id = env["case_id"]
        row = rows.get(TABLE, case_id)
        if row is None:
            row = {
                "case_id": case_id,
                "person_ref": None,
                "status": "tip",
                "closed": False,
                "close_reason": None,
                "province_code": None,  # settled below, in today's units, as every working list
                "commune_code": None,
                "opened_by": env["emitter_agency_code"],
                "opened_at": env["occurred_at"],
                "last_event_type": "",
                "last_event_at": env["occurred_at"],
                "version": 0,
                "sex": None,
                "birth_year": None,
                "certificate_no": None,
                "sealed_personal_data": None,
            }
            rows.put(TABLE, case_id, row)
        else:
            rows.touch(TABLE, case_id)
        event_type = env["event_type"]
        row["status"] = next_status(row["status"], event_type, record)
        row["version"] = env["case_version"]
        row["last_event_type"] = event_type
        row["last_event_at"] = env["occurred_at"]
        row["person_ref"] = row["person_ref"] or env.get("subject_person_ref")
        row["province_code"], row["commune_code"] = places.settled(
            row["province_code"], row["commune_code"], env["admin_unit_code"]
        )
        if record.get("sex") not in (None, "unknown"):
            row["sex"] = record["sex"]
        if record.get("birth_year") is not None:
            row["birth_year"] = record["birth_year"]
        sealed_field = PERSONAL_DATA_FIELD.get(event_type)
        if sealed_field and record.get(sealed_field) and event_type != "TipReceived":
            row["sealed_personal_data"] = seal_to_text(record[sealed_field])
        if event_type == "VictimCertificateIssued":
            row["certificate_no"] = record["certificate_no"]
        elif event_type == "CaseClosed":
            row["closed"] = True
            row["close_reason"] = record["reason"]
        elif event_type == "CaseTransferAccepted":
            # The register is the lead's and the commune's working list: it moves to the accepting
            # agency's territory (only the agency the transfer names may accept it).
            handed = places.taken_over(row["province_code"], row["commune_code"], env["emitter_unit_code"])
            row["province_code"], row["commune_code"] = handed


def seal_to_text(sealed: dict) -> str:
    return json.dumps(
        {k: base64.b64encode(v).decode() if isinstance(v, bytes) else v for k, v in sealed.items()}
    )


def seal_from_text(text: str | None) -> dict | None:
    if not text:
        return None
    data = json.loads(text)
    for k in ("nonce", "ciphertext"):
        data[k] = base64.b64decode(data[k])
    return data
