"""The synthetic world (lienthong.generator): deterministic, valid for the gateway and the contracts, judged
the same way by the decider as the generator planned, covering the whole catalogue, both regimes, both
maps and the 2025 restructuring, with duplicates to merge; and a million submissions stream in bounded
memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import date, datetime

import pytest
from click.testing import CliRunner

from lienthong import places
from lienthong.agencies import default_registry
from lienthong.contracts import EVENT_NAMESPACE, from_json
from lienthong.domain import lifecycle as lc
from lienthong.gateway.models import SubmissionIn
from lienthong.generator import generate, public
from lienthong.generator import verify as gen_verify
from lienthong.generator.cli import generate as generate_command
from lienthong.schemas import Catalogue

CUTOVER = date(2025, 7, 1)
HEALTH_LEADS = date(2025, 3, 1)
RUN = 20_000
SEED = 7
# DOMAIN.md §b/§c: the events about a person and a case, from the first tip to the last follow-up.
PERSON_LIFECYCLE = frozenset(
    {
        "TipReceived", "TipForwarded", "TipAcknowledged", "TipOutcomeReported", "PersonReported",
        "RescueCompleted", "VictimHandoverReceived", "ReceptionRegistered", "IdentificationStarted",
        "VerificationRequested", "NationalityVerificationRequested", "NationalityVerificationCompleted",
        "InitialVerificationCompleted", "VictimStatusDetermined", "VictimCertificateIssued",
        "AccompanyingMinorLinked", "ProtectionRequested", "ProtectionMeasureApplied",
        "ProtectionMeasureLifted", "ProtectionRefused", "AdmittedToFacility", "ShelterStayExtended",
        "DischargedFromFacility", "NeedsAssessed", "EssentialNeedsProvided", "TravelCostPaid",
        "RepatriationCostPaid", "MedicalServiceProvided", "HealthInsuranceIssued", "CounsellingProvided",
        "LegalAidRequested", "LegalAidProvided", "SupportApplicationSubmitted",
        "SupportApplicationCertified", "SupportApproved", "SupportRejected", "SupportPaid",
        "SupportRefused", "SchoolEnrolmentSupported", "TuitionExempted", "VocationalTrainingEnrolled",
        "EmploymentCounsellingProvided", "LoanApplicationReferred", "LoanDisbursed", "ReferralSent",
        "ReferralAccepted", "ReferralRejected", "ReferralCompleted", "ReferralRevoked",
        "CaseTransferRequested", "CaseTransferAccepted", "CaseTransferRejected", "FamilyContacted",
        "GuardianAssigned", "ReturnedToResidence", "ReturnedToResidenceConfirmed",
        "ReintegrationFollowUpRecorded", "CriminalCaseLinked", "ConsentRecorded", "ConsentWithdrawn",
        "RecordCorrected", "PersonsMerged", "PersonsUnmerged", "CaseClosed", "CaseReopened",
        "TravelDocumentIssued",
    }
)  # fmt: skip


@pytest.fixture(scope="module")
def run() -> list[tuple[str, dict]]:
    return list(generate(RUN, SEED))


@pytest.fixture(scope="module")
def judged(run) -> list[tuple[str, dict, str, dict | None]]:
    """Every submission of the run with the pure decider's outcome and, when accepted, its event."""
    return list(gen_verify.judged(run))


def _day(body: dict) -> date:
    return datetime.fromisoformat(body["occurred_at"]).date()


# -- determinism ----------------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_history_and_another_seed_another():
    first = list(generate(1500, 3))
    assert first == list(generate(1500, 3))
    assert [b["submission_id"] for _, b in first] != [b["submission_id"] for _, b in generate(1500, 4)]
    assert len(first) == 1500


def test_the_history_does_not_depend_on_the_process_hash_seed():
    code = (
        "import hashlib, json\n"
        "from lienthong.generator import generate\n"
        "h = hashlib.sha256()\n"
        "for a, b in generate(1200, 11):\n"
        "    h.update(json.dumps([a, b], sort_keys=True, ensure_ascii=False).encode())\n"
        "print(h.hexdigest())\n"
    )
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        digests.add(done.stdout.strip())
    assert len(digests) == 1


def test_sizes_from_a_demo_up_are_met_exactly():
    for events in (0, 1, 40, 700):
        assert sum(1 for _ in generate(events, 2)) == events


# -- valid for the gateway and the contracts ------------------------------------------------------------


def test_every_submission_passes_the_gateway_model_and_its_payload_converts_for_its_event_type(run):
    catalogue = Catalogue.default()
    schemas = {t: catalogue.latest(f"{EVENT_NAMESPACE}.{t}").schema for t in catalogue.event_types()}
    for agency, body in run:
        model = SubmissionIn.model_validate(public(body))
        assert model.occurred_at.utcoffset() is not None
        assert len(body["admin_unit_code"]) <= 8
        from_json(schemas[body["event_type"]], body["payload"], skip=("envelope",))
        assert agency and body["_expect"] == "accepted" or body["_expect"].startswith("rejected:")
        json.dumps(body, ensure_ascii=False)  # plain JSON, no dates or objects left


def test_person_data_comes_from_faker_and_places_from_the_real_units(run):
    from lienthong import places

    for _, body in run:
        unit = body["admin_unit_code"]
        assert unit == places.NATIONAL or places.lookup(unit) is not None, unit
        data = body.get("personal_data")
        if data:
            assert data["full_name"] and data["address"]


# -- the decider agrees ---------------------------------------------------------------------------------


def test_the_decider_gives_every_submission_the_outcome_the_generator_planned(judged):
    differ = Counter(
        (b["event_type"], b["_expect"], outcome) for _, b, outcome, _ in judged if outcome != b["_expect"]
    )
    assert not differ, differ.most_common(20)


def test_a_20k_run_covers_the_whole_person_lifecycle_and_every_catalogue_event_type(run):
    seen = {b["event_type"] for _, b in run if b["_expect"] == "accepted"}
    assert seen >= PERSON_LIFECYCLE, sorted(PERSON_LIFECYCLE - seen)
    assert set(Catalogue.default().event_types()) <= seen | {"Submission"}, sorted(
        set(Catalogue.default().event_types()) - seen
    )


def test_both_regimes_with_l2011_kept_after_the_switch_for_victims_identified_before_it(judged):
    regimes = Counter()
    for _, body, _outcome, event in judged:
        if event is not None:
            after = _day(body) >= CUTOVER
            regimes[(event["envelope"]["legal_regime"], after)] += 1
    assert regimes[("L2011", False)] and regimes[("L2024", True)]
    assert regimes[("L2011", True)], "persons identified before 2025-07-01 keep L2011 support (Art. 63)"
    assert not regimes[("L2024", False)]


def test_old_units_before_the_cutover_current_units_after_and_no_district_bodies_after_they_ended(run):
    for agency, body in run:
        day, unit, accepted = _day(body), body["admin_unit_code"], body["_expect"] == "accepted"
        if not accepted:
            continue
        if day < CUTOVER:
            assert unit == "VN" or unit.startswith("L:"), body
        else:
            assert not unit.startswith("L:"), body
        if agency.startswith(("CA-HUYEN-", "SLDTBXH-")):
            assert day < HEALTH_LEADS, body
        if agency.startswith("PLDTBXH-"):
            assert day < CUTOVER, body
        if agency.startswith(("UBND-XA-L-", "CA-XA-L-")):  # the pre-merger communes' bodies
            assert day < CUTOVER, body
        elif agency.startswith(("UBND-XA-", "CA-XA-")):
            assert day >= CUTOVER, body
    after = Counter(b["_expect"] for a, b in run if a.startswith("CA-HUYEN-") and _day(b) >= HEALTH_LEADS)
    assert set(after) <= {"rejected:agency_inactive"}
    stale_codes = Counter(
        b["_expect"] for _, b in run if _day(b) >= CUTOVER and b["admin_unit_code"].startswith("L:")
    )
    assert set(stale_codes) <= {"rejected:invalid_field"}
    assert any(a.startswith("SYT-") and HEALTH_LEADS <= _day(b) < CUTOVER for a, b in run)
    assert any(a == "DD-111" for a, _ in run)


def test_communes_act_through_the_bodies_of_the_day_old_communes_before_the_cutover(run):
    """Before 2025-07-01 what a commune does comes from the old commune's People's Committee or police
    (UBND-XA-L-/CA-XA-L-, jurisdiction the legacy unit); from the cut-over from today's commune bodies."""
    registry = default_registry()
    before: Counter = Counter()
    after: Counter = Counter()
    for agency, body in run:
        found = registry.find(agency)
        if found is None or found.agency_type not in ("commune_pc", "commune_police"):
            continue
        if body["_expect"] != "accepted":
            continue
        day, unit = _day(body), body["admin_unit_code"]
        assert found.active_on(day), (agency, body)
        assert places.within(unit, found.jurisdiction), (agency, body)
        if day < CUTOVER:
            assert agency.startswith(("UBND-XA-L-", "CA-XA-L-")), (agency, body)
            assert found.jurisdiction.startswith("L:") and unit.startswith("L:"), (agency, body)
            before[body["event_type"]] += 1
        else:
            assert not agency.startswith(("UBND-XA-L-", "CA-XA-L-")), (agency, body)
            assert not found.jurisdiction.startswith("L:"), (agency, body)
            after[body["event_type"]] += 1
    commune_work = {
        "PersonReported",
        "TipForwarded",
        "SupportApplicationSubmitted",
        "SupportApplicationCertified",
        "ReturnedToResidenceConfirmed",
        "ReintegrationFollowUpRecorded",
        "PeriodicReportSubmitted",
        "AnnualPlanIssued",
    }
    assert commune_work <= set(before), sorted(commune_work - set(before))
    assert commune_work - {"TipForwarded"} <= set(after), sorted(commune_work - set(after))
    # the district police and labour offices still act before the cut-over: the communes do not replace them
    assert any(a.startswith(("CA-HUYEN-", "PLDTBXH-")) for a, _ in run)


def test_duplicates_are_planted_merged_by_the_steward_and_some_merges_undone(run):
    planted = {
        b["_truth"]["ref"]: b["_truth"]["duplicate_of"]
        for _, b in run
        if "duplicate_of" in b.get("_truth", {})
    }
    merges = [b for _, b in run if b["event_type"] == "PersonsMerged" and b["_expect"] == "accepted"]
    merged = {
        ref: b["payload"]["surviving_person_ref"]
        for b in merges
        for ref in b["payload"]["merged_person_refs"]
    }
    assert planted
    assert all(merged.get(dup) == original for dup, original in planted.items())
    assert any(b["event_type"] == "PersonsUnmerged" and b["_expect"] == "accepted" for _, b in run)


def test_a_realistic_share_of_refusals_of_the_kinds_offices_make(run):
    outcomes = Counter(b["_expect"] for _, b in run)
    share = 1 - outcomes["accepted"] / len(run)
    assert 0.01 < share < 0.10, share
    for code in (
        "wrong_status",  # a certificate before the identification decision
        "stale_version",
        "already_paid_once",
        "no_consent",
        "outside_jurisdiction",
        "agency_inactive",
        "case_closed",
    ):
        assert outcomes[f"rejected:{code}"], code
    assert outcomes["rejected:rate_mismatch"] + outcomes["rejected:wrong_rate_table"]
    assert any(b["event_type"] == "RecordCorrected" for _, b in run)


def test_minors_tips_rescues_and_handovers_by_the_agencies_that_do_them(run):
    by_type = Counter((b["event_type"], a.split("-")[0]) for a, b in run if b["_expect"] == "accepted")
    assert by_type[("VictimHandoverReceived", "BDBP")]
    assert by_type[("RescueCompleted", "CSB")]
    assert by_type[("TipForwarded", "DD")] and by_type[("TipAcknowledged", "CA")]
    minors = [
        b for _, b in run if b["event_type"] == "AccompanyingMinorLinked" and b["_expect"] == "accepted"
    ]
    assert minors
    minor_refs = {b["payload"]["minor_person_ref"] for b in minors}
    supported = {b.get("subject_person_ref") for _, b in run if b["event_type"] == "EssentialNeedsProvided"}
    assert minor_refs & supported


def test_the_provinces_option_keeps_cases_in_those_provinces():
    from lienthong import places

    for agency, body in generate(800, 5, provinces=["48", "31"]):
        unit = body["admin_unit_code"]
        if unit != "VN":
            assert places.current_province_of(unit) in {"48", "31"}, (agency, body)


# -- the command ----------------------------------------------------------------------------------------


def test_the_command_writes_json_lines_without_private_keys_and_reports_to_stderr(tmp_path):
    out = tmp_path / "history.jsonl"
    result = CliRunner().invoke(generate_command, ["--events", "300", "--seed", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert len(lines) == 300
    assert all(set(line) == {"agency", "submission"} for line in lines)
    assert not any(k.startswith("_") for line in lines for k in line["submission"])
    assert "300 submissions" in result.stderr
    kept = CliRunner().invoke(generate_command, ["--events", "20", "--seed", "3", "--keep-expectations"])
    assert all("_expect" in json.loads(line)["submission"] for line in kept.stdout.splitlines())


# -- scale ----------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_million_submissions_stream_within_memory():
    code = (
        "import resource, time, hashlib\n"
        "from lienthong.generator import generate\n"
        "started = time.perf_counter()\n"
        "n = 0\n"
        "for agency, body in generate(1_000_000, 7):\n"
        "    n += 1\n"
        "elapsed = time.perf_counter() - started\n"
        "print(n, round(elapsed, 1), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=900
    )
    count, seconds, peak_mb = done.stdout.split()
    print(f"\n1,000,000 submissions generated in {seconds} s, peak RSS {peak_mb} MB")
    assert int(count) == 1_000_000
    assert int(peak_mb) < 600


def test_submission_ids_are_unique_and_a_retry_repeats_the_whole_submission(run):
    seen: dict[str, dict] = {}
    for _, body in run:
        first = seen.setdefault(body["submission_id"], body)
        assert first is body or first == body
    assert len(seen) < len(run)  # a few network retries


def test_registry_and_programme_records_share_long_lived_streams(run):
    """The decider takes many events per stream: each agency's reports of one kind go on one stream."""
    streams = Counter(
        b["case_id"] for _, b in run if b["event_type"] in lc.STREAM_EVENTS and b["_expect"] == "accepted"
    )
    assert streams and max(streams.values()) > 1, streams
    assert all(case_id.startswith(("ST-", "DM-")) for case_id in streams)


def test_a_merge_is_recorded_on_both_cases_and_carries_the_one_offs_paid_there(judged):
    merges: dict[str, list[dict]] = {}
    for _, body, outcome, _ in judged:
        if body["event_type"] == "PersonsMerged" and outcome == "accepted":
            merges.setdefault(body["payload"]["merge_id"], []).append(body)
    both = [recorded for recorded in merges.values() if len(recorded) == 2]  # the run may cut the last
    assert both and len(both) >= len(merges) - 1
    for first, second in both:
        assert first["case_id"] != second["case_id"] and first["payload"] == second["payload"]
        assert "merged_one_offs" in first["payload"]


def test_a_one_off_paid_to_a_duplicate_is_carried_by_the_merge_and_not_paid_again_to_the_survivor(judged):
    """Some duplicates are paid a one-off in their own case before the steward merges them: the merge
    carries it (merged_one_offs) to the surviving case, where paying it again is refused
    (already_paid_under_merge) as planned, and no payment of it to the survivor is accepted after."""
    carried: dict[str, tuple[str, set[str], date]] = {}  # surviving case -> (survivor, one-offs, merged on)
    refused = []
    for _, body, outcome, _ in judged:
        p = body["payload"]
        if body["event_type"] == "PersonsMerged" and outcome == "accepted" and p["merged_one_offs"]:
            survivor_case = body["case_id"]
            assert all(o["paid_person_ref"] in p["merged_person_refs"] for o in p["merged_one_offs"])
            assert all(date.fromisoformat(o["paid_on"]) <= _day(body) for o in p["merged_one_offs"])
            if all(o["case_id"] != survivor_case for o in p["merged_one_offs"]):  # the survivor's case
                types = {o["support_type"] for o in p["merged_one_offs"]}
                carried[survivor_case] = (p["surviving_person_ref"], types, _day(body))
        if body["event_type"] in ("SupportPaid", "TravelCostPaid") and body["case_id"] in carried:
            survivor, types, merged_on = carried[body["case_id"]]
            support = p.get("support_type", "travel_home")
            if body.get("subject_person_ref") == survivor and support in types:
                assert _day(body) >= merged_on
                assert outcome == "rejected:already_paid_under_merge" == body["_expect"], body
                refused.append(body)
    assert len(carried) >= 3, carried
    assert refused, "the survivor's office paying a carried one-off again is planned and refused"
