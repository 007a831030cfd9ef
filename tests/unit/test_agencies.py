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
    rows = json.loads((agency_registry_build.OUT).read_text("utf-8"))["agencies"]
    assert len(rows) == len(registry) == len({r["code"] for r in rows})
    for agency in registry:
        assert CODE_PATTERN.match(agency.code), agency.code
        assert agency.level in LEVELS and agency.agency_type in AGENCY_TYPES
        assert agency.name_vi and agency.name_en
    assert {a.agency_type for a in registry} == AGENCY_TYPES


def test_committed_registry_is_the_build_output():
    text = agency_registry_build.render(agency_registry_build.build())
    assert agency_registry_build.OUT.read_text("utf-8") == text, (
        "rerun python -m lienthong.agency_registry_build"
    )


def test_every_current_commune_has_a_people_committee_and_police(registry: Registry):
    pcs = {a.jurisdiction for a in registry.of_type("commune_pc")}
    police = {a.jurisdiction for a in registry.of_type("commune_police")}
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
