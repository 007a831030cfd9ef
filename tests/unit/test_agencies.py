"""The agency registry: codes, levels, jurisdictions, successions, effective dates."""

from __future__ import annotations

import json
import time
from datetime import date

import pytest

from lienthong import agency_registry_build, places
from lienthong.agencies import (
    AGENCY_TYPES,
    CODE_PATTERN,
    LEVELS,
    Agency,
    Registry,
    UnknownAgency,
    default_registry,
)

# The registry the exchange started with: all of these must stay valid Kafka doors.
ORIGINAL = [
    "DD-111", "CSB-VUNG-2",
    "SYT-48", "CA-TINH-48", "BDBP-48", "TTCTXH-48", "TGPL-48",
    "UBND-XA-20242", "CA-XA-20242", "UBND-XA-20257", "CA-XA-20257",
    "UBND-XA-20209", "CA-XA-20209", "UBND-XA-20224", "CA-XA-20224",
    "SYT-31", "CA-TINH-31", "BDBP-31", "TTCTXH-31", "TGPL-31",
    "UBND-XA-11560", "CA-XA-11560", "UBND-XA-11557", "CA-XA-11557",
    "UBND-XA-11533", "CA-XA-11533", "UBND-XA-11542", "CA-XA-11542",
]  # fmt: skip
PROVINCIAL_PREFIXES = [
    "SYT", "CA-TINH", "TTCTXH", "TGPL", "SGDDT", "STC", "VPUB",
    "TAND", "VKSND", "BV", "TTDVVL", "HLHPN", "BCD",
]  # fmt: skip


@pytest.fixture(scope="module")
def registry() -> Registry:
    return default_registry()


def test_registry_loads_in_well_under_a_second():
    places._units.cache_clear()
    places._legacy.cache_clear()
    t = time.perf_counter()
    loaded = Registry.load()
    elapsed = time.perf_counter() - t
    print(f"agency registry: {len(loaded)} agencies loaded (with both maps of places) in {elapsed:.3f}s")
    assert elapsed < 2


def test_codes_are_unique_valid_and_typed(registry: Registry):
    data = json.loads((agency_registry_build.OUT).read_text("utf-8"))
    rows, old = data["agencies"], data["old_commune_bodies"]
    assert len(rows) + len(old["rows"]) * len(old["bodies"]) == len(registry) == len(set(registry.codes()))
    assert len({r["code"] for r in rows}) == len(rows)
    for agency in registry:
        assert CODE_PATTERN.match(agency.code), agency.code
        assert agency.level in LEVELS and agency.agency_type in AGENCY_TYPES
        assert agency.name_vi and agency.name_en
    assert {a.agency_type for a in registry} == AGENCY_TYPES


def test_committed_registry_is_the_build_output():
    build = agency_registry_build
    text = build.render(build.build(), build.build_old_communes())
    assert agency_registry_build.OUT.read_text("utf-8") == text, (
        "rerun python -m lienthong.agency_registry_build"
    )


def test_every_current_commune_has_a_people_committee_and_police(registry: Registry):
    pcs = {a.jurisdiction for a in registry.of_type("commune_pc") if places.is_current(a.jurisdiction)}
    police = {a.jurisdiction for a in registry.of_type("commune_police") if places.is_current(a.jurisdiction)}
    communes = {u.code for u in places.units_on(date(2026, 1, 1), "C")}
    assert len(communes) == 3321 and pcs == communes and police == communes
    for code in communes:
        assert registry.get(f"UBND-XA-{code}").level == "C"
        assert registry.get(f"CA-XA-{code}").parent_code == f"CA-TINH-{places.province_of(code)}"


def test_every_province_has_its_provincial_bodies(registry: Registry):
    for province in places.provinces():
        for prefix in PROVINCIAL_PREFIXES:
            agency = registry.get(f"{prefix}-{province.code}")
            assert agency.jurisdiction == province.code and agency.level == "P"
    assert {a.jurisdiction for a in registry.of_type("provincial_health")} == {
        p.code for p in places.provinces()
    }
    border = {a.jurisdiction for a in registry.of_type("border_guard")}
    assert len(border) == 30 and {"01", "19", "24", "25"}.isdisjoint(border) and {"48", "31", "92"} <= border


def test_district_police_end_on_2025_03_01_and_pass_to_the_provincial_police(registry: Registry):
    district_police = registry.of_type("district_police")
    assert len(district_police) >= 690
    for agency in district_police:
        assert agency.level == "D" and places.lookup(agency.jurisdiction).level == "D"
        assert registry.active_on(agency.code, date(2025, 2, 28))
        assert not registry.active_on(agency.code, date(2025, 3, 1))
        successor = registry.successor_on(agency.code, date(2025, 3, 1))
        assert successor is not None and successor.agency_type == "provincial_police"
        assert successor.jurisdiction == places.current_province_of(agency.jurisdiction)
    kien_an = registry.get("CA-HUYEN-307")
    assert kien_an.jurisdiction == "L:307" and "Kiến An" in kien_an.name_vi
    assert registry.successor_on("CA-HUYEN-307", date(2025, 3, 1)).code == "CA-TINH-31"
    assert registry.successor_on("CA-HUYEN-307", date(2024, 1, 1)).code == "CA-HUYEN-307"


def test_district_labour_offices_last_until_the_district_level_ends(registry: Registry):
    office = registry.get("PLDTBXH-307")
    assert office.agency_type == "district_labour" and office.valid_to == date(2025, 7, 1)
    assert registry.active_on("PLDTBXH-307", date(2025, 6, 30))
    assert registry.successor_on("PLDTBXH-307", date(2025, 7, 1)).code == "SYT-31"
    # The districts of the seed provinces all have their historical bodies.
    for old_province, today in (("L:49", "48"), ("L:94", "92")):
        for district in places.districts_of(old_province):
            assert registry.get(f"CA-HUYEN-{district.gso_code}").successor_codes == (f"CA-TINH-{today}",)
            assert registry.get(f"PLDTBXH-{district.gso_code}").successor_codes == (f"SYT-{today}",)


def test_dolisa_of_old_provinces_succeeds_to_the_health_department(registry: Registry):
    assert registry.get("SLDTBXH-49").jurisdiction == "L:49"
    assert registry.successor_on("SLDTBXH-49", date(2025, 3, 1)).code == "SYT-48"
    assert registry.successor_on("SLDTBXH-94", date(2025, 7, 1)).code == "SYT-92"
    assert registry.successor_on("SLDTBXH-49", date(2025, 2, 28)).code == "SLDTBXH-49"
    labour = registry.of_type("provincial_labour")
    assert len(labour) == 63
    for agency in labour:
        assert agency.valid_to == date(2025, 3, 1)
        assert agency.successor_codes == (f"SYT-{places.current_province_of(agency.jurisdiction)}",)


def test_effective_dates(registry: Registry):
    assert not registry.active_on("DD-111", date(2025, 9, 18)) and registry.active_on(
        "DD-111", date(2025, 9, 19)
    )
    assert registry.successor_on("DD-111", date(2025, 1, 1)) is None
    assert registry.active_on("UBND-XA-20242", date(2025, 7, 1))
    assert not registry.active_on("UBND-XA-20242", date(2025, 6, 30))
    assert registry.active_on("SYT-48", date(2020, 1, 1)) and registry.active_on("SYT-48", date(2030, 1, 1))
    assert not registry.active_on("NO-SUCH", date(2026, 1, 1))
    assert registry.successor_on("NO-SUCH", date(2026, 1, 1)) is None


def test_original_agencies_stay_and_are_kafka_doors(registry: Registry):
    doors = registry.kafka_agencies()
    assert set(ORIGINAL) <= set(doors) and doors == sorted(doors)
    assert len(doors) < 50  # a handful of direct producers, not the whole registry
    assert registry.get("SYT-48").name_vi == "Sở Y tế thành phố Đà Nẵng"
    assert registry.get("UBND-XA-20242").name_vi == "Ủy ban nhân dân Phường Hải Châu"
    assert not registry.get("UBND-XA-11443").kafka_door and not registry.get("SYT-01").kafka_door
    with pytest.raises(UnknownAgency):
        registry.get("NO-SUCH")


def test_national_and_overseas_bodies(registry: Registry):
    assert [a.code for a in registry.of_type("coast_guard")] == [f"CSB-VUNG-{n}" for n in range(1, 5)]
    assert all(a.level == "N" for a in registry.of_type("coast_guard"))
    missions = registry.of_type("mission")
    assert {"DSQ-CN", "DSQ-KH"} <= {a.code for a in missions} and all(a.level == "X" for a in missions)
    assert registry.get("DD-111").agency_type == "hotline_111"


def test_jurisdictions_resolve_with_places(registry: Registry):
    for agency in registry:
        assert agency.jurisdiction == places.NATIONAL or places.lookup(agency.jurisdiction) is not None
        for other in (*agency.successor_codes, agency.parent_code):
            assert other is None or registry.find(other) is not None
    # Old bodies sit on old units, today's on today's.
    assert not places.is_current(registry.get("SLDTBXH-49").jurisdiction)
    assert places.is_current(registry.get("SYT-48").jurisdiction)


def test_in_jurisdiction_across_maps(registry: Registry):
    today = {a.code for a in registry.in_jurisdiction("20242", on=date(2026, 1, 1))}
    assert {"UBND-XA-20242", "CA-XA-20242", "SYT-48", "CA-TINH-48", "DD-111"} <= today
    assert not {"SYT-31", "UBND-XA-20257", "SLDTBXH-49"} & today
    old_ward = "L:11443"  # a 2024 ward of Kiến An district
    then = {a.code for a in registry.in_jurisdiction(old_ward, on=date(2024, 6, 1))}
    assert {"CA-HUYEN-307", "PLDTBXH-307", "SLDTBXH-31", "CA-TINH-31", "SYT-31"} <= then
    assert "DD-111" not in then and "UBND-XA-11443" not in then
    assert {"UBND-XA-L-11443", "CA-XA-L-11443"} <= then  # the ward's own bodies of the time
    assert not {"UBND-XA-L-11443", "CA-XA-L-11443"} & {
        a.code for a in registry.in_jurisdiction(old_ward, on=date(2025, 7, 1))
    }
    assert all(places.within(old_ward, a.jurisdiction) for a in registry.in_jurisdiction(old_ward))


def test_registry_rejects_bad_rows(tmp_path):
    good = {
        "code": "SYT-48",
        "agency_type": "provincial_health",
        "level": "P",
        "name_vi": "x",
        "name_en": "x",
    }
    cases = [
        {**good, "code": "syt-48", "jurisdiction": "48"},
        {**good, "jurisdiction": "L:99999"},
        {**good, "jurisdiction": "48", "level": "Q"},
        {**good, "jurisdiction": "48", "agency_type": "ministry"},
        {**good, "jurisdiction": "48", "successor_codes": ["NOPE"]},
        {**good, "jurisdiction": "48", "valid_from": "2025-07-01", "valid_to": "2025-03-01"},
    ]
    for row in cases:
        path = tmp_path / "agencies.json"
        path.write_text(json.dumps({"agencies": [row]}), "utf-8")
        with pytest.raises(ValueError):
            Registry.load(path)
    path.write_text(json.dumps({"agencies": [{**good, "jurisdiction": "48"}]}), "utf-8")
    assert Registry.load(path).get("SYT-48") == Agency(**{**good, "jurisdiction": "48"})


# --- the commune bodies of the map before 2025-07-01 -------------------------------------------------

OLD_MAP_DAY = date(2025, 6, 30)


def test_an_old_commune_pc_works_until_the_cutover_and_passes_to_todays_commune(registry: Registry):
    # Phường Hàng Mã (quận Hoàn Kiếm, Hà Nội) went whole into today's Phường Hoàn Kiếm (00070)
    # (Resolution 1656/NQ-UBTVQH15).
    pc = registry.get("UBND-XA-L-00043")
    assert (pc.agency_type, pc.level, pc.jurisdiction) == ("commune_pc", "C", "L:00043")
    assert pc.name_vi == "Ủy ban nhân dân Phường Hàng Mã, quận Hoàn Kiếm, thành phố Hà Nội"
    assert registry.active_on(pc.code, date(2024, 5, 1)) and registry.active_on(pc.code, OLD_MAP_DAY)
    assert not registry.active_on(pc.code, places.CUTOVER)
    assert registry.successor_on(pc.code, date(2024, 5, 1)) is pc
    successor = registry.successor_on(pc.code, places.CUTOVER)
    assert successor.code == "UBND-XA-00070" and successor.agency_type == "commune_pc"
    assert successor.jurisdiction == places.primary_successor("L:00043") == "00070"
    assert "Hoàn Kiếm" in places.lookup(successor.jurisdiction).name
    police = registry.get("CA-XA-L-00043")
    assert police.parent_code == "CA-HUYEN-002" and registry.get("CA-HUYEN-002").jurisdiction == "L:002"
    assert registry.successor_on(police.code, date(2025, 3, 1)) is police  # outlived the district police
    assert registry.successor_on(police.code, places.CUTOVER).code == "CA-XA-00070"


def test_a_split_old_commune_passes_to_its_primary_successor_and_lists_the_others(registry: Registry):
    # Phường Trần Thành Ngọ (quận Kiến An, Hải Phòng) was divided between today's Phù Liễn and Kiến An.
    pc = registry.get("UBND-XA-L-11443")
    assert pc.successor_codes == tuple(f"UBND-XA-{c}" for c in places.successors("L:11443"))
    assert len(pc.successor_codes) == 2
    assert registry.successor_on(pc.code, date(2026, 1, 1)).jurisdiction == places.primary_successor(
        "L:11443"
    )
    # Old code and today's code 11443 name different bodies.
    assert registry.get("UBND-XA-11443").jurisdiction == "11443" and pc.jurisdiction == "L:11443"


@pytest.mark.parametrize("old_province", ["L:02", "L:49", "L:01"])  # Hà Giang, Quảng Nam, Hà Nội
def test_every_old_commune_of_a_province_has_its_two_bodies(registry: Registry, old_province: str):
    communes = places.communes_of(old_province)
    assert communes
    today = places.current_province_of(old_province)
    for commune in communes:
        for prefix, agency_type in (("UBND-XA", "commune_pc"), ("CA-XA", "commune_police")):
            body = registry.get(f"{prefix}-L-{commune.gso_code}")
            assert (body.agency_type, body.level, body.jurisdiction) == (agency_type, "C", commune.code)
            assert body.valid_from is None and body.valid_to == places.CUTOVER
            assert commune.name in body.name_vi and commune.name in body.name_en
            assert body.successor_codes == tuple(f"{prefix}-{c}" for c in places.successors(commune.code))
            successor = registry.successor_on(body.code, places.CUTOVER)
            assert (
                successor.agency_type == agency_type and places.province_of(successor.jurisdiction) == today
            )
            assert places.within(commune.code, body.jurisdiction)
        assert (
            registry.get(f"CA-XA-L-{commune.gso_code}").parent_code == f"CA-HUYEN-{commune.district_code[2:]}"
        )


def test_hà_giang_communes_pass_to_tuyên_quang(registry: Registry):
    # Resolution 202/2025/QH15: Hà Giang (02) + Tuyên Quang (08) -> Tuyên Quang (08). Phường Trần Phú of
    # Hà Giang city is in today's Phường Hà Giang 2.
    assert places.lookup("L:00691").name == "Phường Trần Phú"
    successor = registry.successor_on("UBND-XA-L-00691", date(2025, 7, 1))
    assert successor.code == "UBND-XA-00691" and successor.name_vi == "Ủy ban nhân dân Phường Hà Giang 2"
    assert places.province_of(successor.jurisdiction) == "08"


def test_old_commune_bodies_count_matches_the_source(registry: Registry):
    old_communes = places.units_on(OLD_MAP_DAY, "C")
    # vietnamadminunits 1.0.4 (frozen in places_data/legacy_units.json.gz): 10,035 communes on 2025-06-30.
    assert len(old_communes) == places.legacy_meta()["counts"]["communes"] == 10035
    for agency_type in ("commune_pc", "commune_police"):
        old = [a for a in registry.of_type(agency_type) if places.is_legacy(a.jurisdiction)]
        assert {a.jurisdiction for a in old} == {u.code for u in old_communes}
        assert len(old) == 10035
        assert all(a.valid_to == places.CUTOVER and not a.kafka_door for a in old)
    header = json.loads(agency_registry_build.OUT.read_text("utf-8"))["counts"]
    assert header["old_communes"] == 10035 and header["old_commune_bodies"] == 20070
    # Today's bodies are untouched: 3,321 communes, each with a PC and a police from 2025-07-01.
    assert len([a for a in registry.of_type("commune_pc") if places.is_current(a.jurisdiction)]) == 3321


def test_old_commune_bodies_report_in_their_time_and_are_refused_after_it():
    """The decider accepts the old commune's own PC and police on its old unit before 2025-07-01 (the
    mandate matrix grants commune_pc/commune_police at level C from 2012), refuses a neighbour's PC
    (outside its jurisdiction), and refuses the old PC from 2025-07-01 naming today's successor."""
    from tests.unit.domain_kit import History, at, reported

    unit = "L:00043"  # Phường Hàng Mã, Hà Nội
    h = History("HS-OLD-XA-1")
    h.ok("UBND-XA-L-00043", "PersonReported", reported(unit), when=at("2024-05-01"), unit=unit)
    police = History("HS-OLD-CA-1")
    police.ok("CA-XA-L-00043", "PersonReported", reported(unit), when=at("2025-06-30"), unit=unit)
    h2 = History("HS-OLD-XA-2")
    h2.refused(
        "outside_jurisdiction",
        "UBND-XA-L-00046",  # Phường Hàng Buồm
        "PersonReported",
        reported(unit),
        when=at("2024-05-01"),
        unit=unit,
    )
    h3 = History("HS-OLD-XA-3")
    refusal = h3.refused(
        "agency_inactive",
        "UBND-XA-L-00043",
        "PersonReported",
        reported("00070"),
        when=at("2025-07-02"),
        unit="00070",
    )
    assert "UBND-XA-00070" in refusal.message_en
    h3.ok("UBND-XA-00070", "PersonReported", reported("00070"), when=at("2025-07-02"), unit="00070")


def test_old_commune_bodies_are_made_on_demand_and_only_once():
    places.containers.cache_clear()
    loaded = Registry.load()
    assert len(loaded) == len(default_registry())
    before = loaded.get("UBND-XA-L-00043")  # made alone, before anything iterates
    assert loaded.find("UBND-XA-L-99999") is None and loaded.find("UBND-XA-L-") is None
    assert not loaded.active_on("CA-XA-L-99999", date(2024, 1, 1))
    everything = list(loaded)
    assert len(everything) == len(loaded) == len({a.code for a in everything})
    assert loaded.get("UBND-XA-L-00043") is before and before in everything
    assert before in loaded.of_type("commune_pc")


def _with_old_section(tmp_path, **change):
    data = json.loads(agency_registry_build.OUT.read_text("utf-8"))
    section = data["old_commune_bodies"]
    section["rows"] = [row for row in section["rows"] if row[0] in ("00043", "11443")]
    for key, value in change.items():
        if key == "row":
            section["rows"].append(value)
        elif key == "body":
            section["bodies"][0] = {**section["bodies"][0], **value}
    path = tmp_path / "agencies.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return path


def test_registry_rejects_bad_old_commune_rows(tmp_path):
    assert len(Registry.load(_with_old_section(tmp_path))) == 8643 + 4
    bad = [
        {"row": ["99999", "Xã Không Có", "002", ["00070"]]},  # no such old unit
        {"row": ["00046", "Phường Hàng Buồm", "002", ["99999"]]},  # successor body does not exist
        {"row": ["00046", "Phường Hàng Buồm", "999", ["00070"]]},  # district without a qualifier
        {"row": ["00043", "Phường Hàng Mã", "002", ["00070"]]},  # listed twice
        {"row": ["0004x", "Phường Hàng Buồm", "002", ["00070"]]},  # not a GSO code
        {"body": {"code": "UBND-XA-"}},  # would make UBND-XA-00043, a body of today
        {"body": {"agency_type": "ministry"}},
        {"body": {"level": "Q"}},
        {"body": {"parent": "NOPE-"}},
        {"body": {"colour": "red"}},
    ]
    for change in bad:
        with pytest.raises(ValueError):
            Registry.load(_with_old_section(tmp_path, **change))
