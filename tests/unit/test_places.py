"""Today's administrative units, the units of the time (before 2025-07-01), and the links between them."""

from __future__ import annotations

import time
from collections import Counter
from datetime import date

import pytest

from lienthong import places

BEFORE = date(2024, 6, 1)
AFTER = date(2026, 1, 1)


def test_today_has_34_provinces_and_3321_communes():
    assert len(places.provinces()) == 34
    assert len(places.units_on(AFTER, "C")) == 3321
    assert places.units_on(AFTER, "D") == []
    assert sum(len(places.communes_of(p.code)) for p in places.provinces()) == 3321
    # Counts of the 2025 commune-arrangement resolutions for the seed provinces.
    assert {pc: len(places.communes_of(pc)) for pc in ("48", "31", "92")} == {"48": 94, "31": 114, "92": 103}


def test_old_map_has_63_provinces_696_districts_10035_communes():
    assert len(places.units_on(BEFORE, "P")) == 63
    assert len(places.units_on(BEFORE, "D")) == 696
    assert len(places.units_on(BEFORE, "C")) == 10035
    assert places.legacy_meta()["counts"] == {"provinces": 63, "districts": 696, "communes": 10035}


def test_every_old_province_maps_to_exactly_one_current_province():
    targets = Counter()
    for old in places.units_on(BEFORE, "P"):
        succ = places.successors(old.code)
        assert len(succ) == 1 and places.is_current(succ[0]), old
        assert places.current_province_of(old.code) == succ[0]
        targets[succ[0]] += 1
    assert set(targets) == {p.code for p in places.provinces()}
    assert sum(targets.values()) == 63 and sum(1 for n in targets.values() if n == 1) == 11


def test_every_old_commune_and_district_has_successors_in_its_new_province():
    for level in ("C", "D"):
        for old in places.units_on(BEFORE, level):
            succ = places.successors(old.code)
            assert succ, old
            assert {places.province_of(s) for s in succ} == {places.current_province_of(old.code)}
    covered = {s for old in places.units_on(BEFORE, "C") for s in places.successors(old.code)}
    # All but the five special zones made from island districts without communes (Bạch Long Vĩ, Cồn Cỏ,
    # Hoàng Sa, Lý Sơn, Côn Đảo), whose predecessor is the district.
    assert len(covered) == 3321 - 5
    assert places.predecessors("20333") == ["L:498"] and places.within("20333", "L:498")


def test_quang_nam_succeeds_into_da_nang():
    quang_nam = places.unit("L:49", on=BEFORE)
    assert quang_nam is not None and "Quảng Nam" in quang_nam.name and quang_nam.level == "P"
    assert places.successors("L:49") == ["48"]
    assert places.current_province_of("L:49") == "48"
    assert places.predecessors("48") == ["L:48", "L:49"]
    assert all(places.current_province_of(c.code) == "48" for c in places.communes_of("L:49"))


def test_soc_trang_succeeds_into_can_tho():
    assert "Sóc Trăng" in places.lookup("L:94").name
    assert places.successors("L:94") == ["92"]
    assert places.predecessors("92") == ["L:92", "L:93", "L:94"]
    # 108 old communes and wards; 43 new units are the primary successors (Sóc Trăng PC's project).
    old = places.communes_of("L:94")
    assert len(old) == 108
    assert len({places.primary_successor(c.code) for c in old}) == 43


def test_kien_an_district_resolves_to_hai_phong_and_its_new_wards():
    kien_an = places.lookup("L:307")
    assert kien_an is not None and kien_an.name == "Quận Kiến An" and kien_an.level == "D"
    assert kien_an.province_code == "L:31" and kien_an.valid_to == places.CUTOVER
    assert places.current_province_of("L:307") == "31"
    assert places.group_key("L:307", "today") == "31"
    new_wards = places.successors("L:307")
    assert new_wards == ["11443", "11446"]
    assert [places.unit(c).name for c in new_wards] == ["Phường Kiến An", "Phường Phù Liễn"]
    assert len(places.districts_of("L:31")) >= 14 and kien_an in places.districts_of("L:31")
    for commune in places.communes_of("L:31"):
        if commune.district_code == "L:307":
            assert set(places.successors(commune.code)) & set(new_wards)


def test_old_and_new_codes_never_collide():
    # GSO reused 11443: Phường Trần Thành Ngọ (Kiến An) before, Phường Kiến An today.
    assert places.unit("11443").name == "Phường Kiến An"
    assert places.lookup("L:11443").name == "Phường Trần Thành Ngọ"
    # Today's Lào Cai took old Yên Bái's code 15; old Lào Cai was 10.
    assert "Yên Bái" in places.lookup("L:15").name and places.successors("L:10") == ["15"]
    assert places.unit("L:49") is None  # old codes are not today's units
    assert places.unit("48", on=BEFORE) is None and places.unit("L:48", on=AFTER) is None
    assert places.unit("L:48", on=BEFORE).version == places.LEGACY_VERSION
    assert places.unit("48").version == places.ADMIN_UNIT_VERSION == "2025-07-01"
    assert places.is_current("48") and not places.is_current("L:48") and places.is_legacy("L:48")
    old_codes = {u.code for level in ("P", "D", "C") for u in places.units_on(BEFORE, level)}
    new_codes = {u.code for level in ("P", "C") for u in places.units_on(AFTER, level)}
    assert all(c.startswith(places.LEGACY_PREFIX) for c in old_codes) and not old_codes & new_codes


def test_group_by_today_or_by_time():
    old_commune = places.communes_of("L:49")[0].code  # a 2023 commune of Quảng Nam
    assert places.group_key(old_commune, "today") == "48"
    assert places.group_key(old_commune, "time") == old_commune
    assert places.group_key(old_commune, "time", "P") == "L:49"
    assert places.group_key(old_commune, "time", "D") == places.lookup(old_commune).district_code
    assert places.group_key(old_commune, "today", "C") == places.successors(old_commune)[0]
    assert places.group_key("20242", "today") == "48"
    assert places.group_key("20242", "time") == "20242"
    assert places.group_key("20242", "time", "D") is None
    assert places.group_key("nope", "today") is None
    with pytest.raises(ValueError):
        places.group_key("20242", "then")  # type: ignore[arg-type]


def test_province_of_keeps_each_unit_in_its_own_map():
    assert places.province_of("20242") == "48"
    assert places.province_of("L:20974") == "L:49"
    assert places.province_of("L:20974", on=BEFORE) == "L:49"
    assert places.province_of("L:20974", on=AFTER) is None
    assert places.district_of("L:11443") == "L:307"


def test_within_works_across_both_maps():
    assert places.within("20242", "48") and not places.within("20242", "31")
    assert places.within("20242", places.NATIONAL) and places.within("L:11443", places.NATIONAL)
    assert places.within("L:11443", "L:307") and places.within("L:11443", "L:31")
    assert places.within("L:11443", "31")  # an old ward lies within today's Hải Phòng
    assert not places.within("L:11443", "48")
    assert places.within("L:49", "48") and not places.within("48", "L:49")  # Đà Nẵng is bigger
    assert places.within("01", "L:01") and places.within("L:01", "01")  # Hà Nội unchanged
    # Tam Tiến of Quảng Nam went wholly into today's Tam Xuân (Đà Nẵng).
    assert places.successors("L:20974") == ["20971"] and places.within("L:20974", "20971")


def test_loads_fast():
    places._units.cache_clear()
    places._legacy.cache_clear()
    places.containers.cache_clear()
    t = time.perf_counter()
    places.provinces()
    places.successors("L:49")
    elapsed = time.perf_counter() - t
    print(f"places: today's and the old map loaded in {elapsed:.3f}s")
    assert elapsed < 2


@pytest.mark.parametrize(
    "before, unit, after",
    [
        (("48", "20242"), "31", ("31", None)),  # another province's department: its commune is not known yet
        (("48", "20242"), "48", ("48", "20242")),  # a department of the same province: the commune stays
        (("48", "20242"), "20209", ("48", "20209")),  # a commune's agency: that commune
        (("48", "20242"), "L:20194", ("48", places.primary_successor("L:20194"))),  # an old commune code
        (("48", "20242"), places.NATIONAL, ("48", "20242")),  # a national body: the case stays where it is
        ((None, None), "31", ("31", None)),
    ],
)
def test_a_case_taken_over_by_an_agency_moves_to_its_territory(before, unit, after):
    assert places.taken_over(*before, unit) == after


def test_a_case_opened_under_an_old_code_keeps_its_commune_when_its_own_province_takes_it_over():
    assert places.taken_over("L:48", "20242", "48") == ("48", "20242")


@pytest.mark.parametrize(
    "before, unit, after",
    [
        ((None, None), "20242", ("48", "20242")),  # the first fact places the case
        (("48", None), "20209", ("48", "20209")),  # a first commune inside the case's province
        (("48", "20242"), "20209", ("48", "20242")),  # the first commune stays
        (("31", None), "20242", ("31", None)),  # never a commune of another province
        ((None, None), places.NATIONAL, (None, None)),
    ],
)
def test_a_case_is_settled_in_its_first_province_and_the_first_commune_named_inside_it(before, unit, after):
    assert places.settled(*before, unit) == after
