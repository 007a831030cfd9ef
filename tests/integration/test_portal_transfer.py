"""A case handed over (chuyển hồ sơ) between provinces, seen through the officers' portal: the accepting
province's Department of Health takes over the case page and the right to open personal data; the
handing-over province and its commune no longer see the case. A refused handover changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from faker import Faker

from tests.browser.portal_seed import COMMUNE_A, PortalWorld, build_world
from tests.integration.test_agency_views import body, person, reception
from tests.integration.test_portal import csrf_of, listed, officer

ACCEPTED, REFUSED = "CHS-TEST-ACCEPTED", "CHS-TEST-REFUSED"  # two open cases reported in commune A


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[PortalWorld]:
    found = build_world(tmp_path_factory.mktemp("portal-transfer"))
    fake = Faker("vi_VN")
    fake.seed_instance(48)
    for case_id, answer in ((ACCEPTED, "CaseTransferAccepted"), (REFUSED, "CaseTransferRejected")):
        found.names[case_id] = fake.name()
        _open_and_hand_over(found, case_id, answer)
    yield found
    found.exchange.http.close()


def _open_and_hand_over(world: PortalWorld, case_id: str, answer: str) -> None:
    """Commune A reports a person, Đà Nẵng's Department of Health (SYT-48) receives them and hands the case
    over to Hải Phòng's (SYT-31), which answers with `answer`."""
    transfer_id = f"T-{case_id}"
    reply = {"transfer_id": transfer_id}
    if answer == "CaseTransferRejected":
        reply["reason_code"] = "residence_not_confirmed"
    request = {
        "transfer_id": transfer_id,
        "from_agency_code": "SYT-48",
        "to_agency_code": "SYT-31",
        "reason_code": "returned_home",
    }
    steps = [
        (
            "UBND-XA-20242",
            "PersonReported",
            COMMUNE_A,
            person(COMMUNE_A),
            {"full_name": world.names[case_id]},
        ),
        ("SYT-48", "ReceptionRegistered", "48", reception(), None),
        ("SYT-48", "CaseTransferRequested", "48", request, None),
        ("SYT-31", answer, "31", reply, None),
    ]
    now = datetime.now(UTC)
    for hours_ago, (agency, event_type, unit, payload, personal) in zip((4, 3, 2, 1), steps, strict=True):
        extra = {"personal_data": personal} if personal else {}
        sent = body(case_id, event_type, payload, now - timedelta(hours=hours_ago), unit, **extra)
        status, out = world.exchange.submit(agency, sent)
        assert status == 201, (status, out)


def _open_personal_data(http, case_id: str):
    token = csrf_of(http.get("/portal/").text)
    return http.post(f"/portal/cases/{case_id}/personal-data", data={"purpose": "support", "csrf": token})


def test_the_accepting_provinces_lead_agency_takes_the_case_over_with_its_history(world):
    hai_phong = officer(world, "syt-haiphong")
    assert ACCEPTED in listed(hai_phong)
    page = hai_phong.get(f"/portal/cases/{ACCEPTED}")
    assert page.status_code == 200
    for event_type in ("ReceptionRegistered", "CaseTransferRequested", "CaseTransferAccepted"):
        assert f'data-event-type="{event_type}"' in page.text  # the history travels with the case
    assert 'id="open-personal-data"' in page.text
    opened = _open_personal_data(hai_phong, ACCEPTED)
    assert opened.status_code == 200 and world.names[ACCEPTED] in opened.text


def test_the_handing_over_province_and_its_commune_no_longer_see_the_case(world):
    for username in ("syt-danang", "xa-haichau"):
        http = officer(world, username)
        assert ACCEPTED not in listed(http)
        refused = http.get(f"/portal/cases/{ACCEPTED}")
        assert refused.status_code == 403 and world.names[ACCEPTED] not in refused.text
    refused = _open_personal_data(officer(world, "syt-danang"), ACCEPTED)
    assert refused.status_code == 403 and world.names[ACCEPTED] not in refused.text


def test_a_refused_handover_leaves_the_case_where_it_was(world):
    da_nang, hai_phong = officer(world, "syt-danang"), officer(world, "syt-haiphong")
    assert REFUSED in listed(da_nang) and REFUSED in listed(officer(world, "xa-haichau"))
    assert REFUSED not in listed(hai_phong)
    assert hai_phong.get(f"/portal/cases/{REFUSED}").status_code == 403
    opened = _open_personal_data(da_nang, REFUSED)
    assert opened.status_code == 200
    assert _open_personal_data(hai_phong, REFUSED).status_code == 403
