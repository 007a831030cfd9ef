"""Build services/data/agencies.json deterministically from the administrative units in `places`.

    .venv/bin/python -m lienthong.agency_registry_build          # rewrite services/data/agencies.json
    .venv/bin/python -m lienthong.agency_registry_build --check  # fail if the committed file is stale

What it generates (codes are ASCII, ^[A-Z0-9][A-Z0-9_-]{1,62}$; <pc> a province code of today,
<cc> a commune code of today, <old pc>/<dc> an old province/district GSO code):

- national: DD-111 (hotline 111, from its launch 2025-09-19), CSB-VUNG-1..4 (Coast Guard regions),
  missions DSQ-CN, DSQ-KH, DSQ-LA (level X);
- for every province of today: SYT, CA-TINH, TTCTXH, TGPL, SGDDT, STC, VPUB, TAND, VKSND, BV, TTDVVL,
  HLHPN, BCD, NHCSXH, TTRA -<pc>, and BDBP-<pc> where the province has a land border or a coastline;
- for every commune of today: UBND-XA-<cc> and CA-XA-<cc> (from 2025-07-01);
- for every commune of the old map (the 10,035 of 2025-06-30, "L:<gso>" in `places`): UBND-XA-L-<gso>
  (commune People's Committee) and CA-XA-L-<gso> (commune police, parent the district police of the
  time), to 2025-06-30, each succeeded by the same body of today's commune(s) that took the old
  commune's territory (`places.successors`, the primary one first, so `successor_on` gives it);
- historical: SLDTBXH-<old pc> for the 63 old provinces (DOLISA, to 2025-02-28, succeeded by the SYT
  of today's province), CA-HUYEN-<dc> (district police, to 2025-02-28, succeeded by today's provincial
  police) and PLDTBXH-<dc> (district labour office, to 2025-06-30, succeeded by today's SYT) for
  every old district except Hoàng Sa (no district bodies on the ground).

The old-commune bodies are written compactly (section "old_commune_bodies": one row per old commune
and one template per body, expanded by `agencies.OldCommuneBodies`, on demand): listed one agency per
line they would make the file 7.4 MB instead of 2.7 MB and triple the load time.

Simplifications: the old map is its final state (see `places`), so communes merged away by the
2023-2025 arrangements before 2025-06-30 have no bodies here (their territory's bodies are those of the
commune that absorbed them). Today's provincial bodies are modelled as continuing bodies (valid_from
None). The departments of the provinces merged away on 2025-07-01 (e.g. Sở Y tế Quảng Nam, 2025-03-01..06-30)
are folded into them, so an old body's successor is the body of today's province directly.
Names of generated bodies are descriptive (the real name of e.g. a provincial hospital varies).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from lienthong import places

OUT = Path(__file__).with_name("data") / "agencies.json"

DISTRICT_POLICE_END = date(2025, 3, 1)  # Decree 02/2025/ND-CP: district police dissolved from 2025-03-01
DOLISA_END = date(2025, 3, 1)  # Decree 42/2025/ND-CP: social protection duties to Health from 2025-03-01
DISTRICT_LEVEL_END = places.CUTOVER  # two-tier local government from 2025-07-01
HOTLINE_111_START = date(2025, 9, 19)
NO_DISTRICT_BODIES = {"498"}  # Hoàng Sa district (Đà Nẵng): no district police/labour office on the ground

# Agencies that produce to Kafka directly (inbox/rejection topics, a SCRAM user): the registry the
# exchange started with, plus the provincial lead agencies of today's Cần Thơ (seed 003, Sóc Trăng).
KAFKA_DOORS = {
    "DD-111", "CSB-VUNG-2",
    "SYT-48", "CA-TINH-48", "BDBP-48", "TTCTXH-48", "TGPL-48",
    "UBND-XA-20242", "CA-XA-20242", "UBND-XA-20257", "CA-XA-20257",
    "UBND-XA-20209", "CA-XA-20209", "UBND-XA-20224", "CA-XA-20224",
    "SYT-31", "CA-TINH-31", "BDBP-31", "TTCTXH-31", "TGPL-31",
    "UBND-XA-11560", "CA-XA-11560", "UBND-XA-11557", "CA-XA-11557",
    "UBND-XA-11533", "CA-XA-11533", "UBND-XA-11542", "CA-XA-11542",
    "SYT-92", "CA-TINH-92", "TTCTXH-92", "TGPL-92",
}  # fmt: skip

# Old provinces (GSO codes of the 63-province map) that had a provincial Border Guard Command: the 44
# with a land border (China: 02 04 10 11 12 20 22; Laos: 11 14 38 40 42 44 45 46 49 62; Cambodia: 62 64
# 66 67 70 72 80 87 89 91) or a coastline (22 31 34 36 37 38 40 42 44 45 46 48 49 51 52 54 56 58 60 77
# 79 82 83 84 91 94 95 96). A province of today has a Border Guard Command when any province it was
# formed from had one (30 of 34: all but Hà Nội, Thái Nguyên, Bắc Ninh, Phú Thọ). Resolution
# 202/2025/QH15 Art. 1 names each new province's neighbours, foreign countries and the East Sea included.
BORDER_OR_COAST_OLD = {
    "02", "04", "10", "11", "12", "14", "20", "22", "31", "34", "36", "37", "38", "40", "42", "44", "45",
    "46", "48", "49", "51", "52", "54", "56", "58", "60", "62", "64", "66", "67", "70", "72", "77", "79",
    "80", "82", "83", "84", "87", "89", "91", "94", "95", "96",
}  # fmt: skip

# (code prefix, agency_type, Vietnamese name before the province, English name after the short name)
PROVINCIAL: list[tuple[str, str, str, str]] = [
    ("SYT", "provincial_health", "Sở Y tế", "Department of Health"),
    ("CA-TINH", "provincial_police", "Công an", "Provincial Police"),
    ("BDBP", "border_guard", "Bộ Chỉ huy Bộ đội Biên phòng", "Border Guard Command"),
    ("TTCTXH", "social_facility", "Trung tâm Công tác xã hội", "Social Work Centre"),
    ("TGPL", "legal_aid", "Trung tâm Trợ giúp pháp lý nhà nước", "State Legal Aid Centre"),
    ("SGDDT", "education", "Sở Giáo dục và Đào tạo", "Department of Education and Training"),
    ("STC", "finance", "Sở Tài chính", "Department of Finance"),
    ("VPUB", "foreign_affairs", "Văn phòng Ủy ban nhân dân", "People's Committee Office (foreign affairs)"),
    ("TAND", "court", "Tòa án nhân dân", "Provincial People's Court"),
    ("VKSND", "procuracy", "Viện kiểm sát nhân dân", "Provincial People's Procuracy"),
    ("BV", "health_facility", "Bệnh viện Đa khoa", "General Hospital"),
    ("TTDVVL", "employment_centre", "Trung tâm Dịch vụ việc làm", "Employment Service Centre"),
    ("HLHPN", "womens_union", "Hội Liên hiệp Phụ nữ", "Women's Union"),
    (
        "BCD",
        "steering_committee",
        "Ban Chỉ đạo phòng, chống tội phạm, tệ nạn xã hội và xây dựng phong trào toàn dân bảo vệ an ninh "
        "Tổ quốc",
        "Steering Committee for Crime and Social Evils Prevention",
    ),
    (
        "NHCSXH",
        "vbsp",
        "Chi nhánh Ngân hàng Chính sách xã hội",
        "Branch of the Vietnam Bank for Social Policies",
    ),
    ("TTRA", "inspection", "Thanh tra", "Provincial Inspectorate"),
]
PARENTS = {"TTCTXH": "SYT", "BV": "SYT"}  # social work centres and hospitals answer to the SYT


def _clean(name: str) -> str:
    return " ".join(name.split())


def _province_names(name: str) -> tuple[str, str]:
    """("thành phố Đà Nẵng", "Đà Nẵng") from "Thành phố Đà Nẵng"; ("tỉnh Cao Bằng", "Cao Bằng") from
    "Cao Bằng" (today's names) or "Tỉnh Cao Bằng" (old names)."""
    name = _clean(name)
    for prefix in ("Thành phố ", "Tỉnh "):
        if name.startswith(prefix):
            short = name.removeprefix(prefix)
            return f"{prefix.strip().lower()} {short}", short
    return f"tỉnh {name}", name


def _district_names(name: str, kind: str) -> tuple[str, str, str]:
    """("quận Kiến An", "Kiến An", "District") from ("Quận Kiến An", "Quận")."""
    name = _clean(name)
    short = name[len(kind) :].strip()
    english = {"Quận": "District", "Huyện": "District", "Thị xã": "Town", "Thành phố": "City"}.get(
        kind, "District"
    )
    return f"{kind.lower()} {short}", short, english


def _agency(
    code: str, agency_type: str, level: str, vi: str, en: str, jurisdiction: str, **extra: Any
) -> dict:
    row: dict[str, Any] = {
        "code": code,
        "agency_type": agency_type,
        "level": level,
        "name_vi": vi,
        "name_en": en,
        "jurisdiction": jurisdiction,
    }
    for key in ("valid_from", "valid_to"):
        if extra.get(key):
            row[key] = extra[key].isoformat()
    if extra.get("successor_codes"):
        row["successor_codes"] = list(extra["successor_codes"])
    if extra.get("parent_code"):
        row["parent_code"] = extra["parent_code"]
    if code in KAFKA_DOORS:
        row["kafka_door"] = True
    return row


def build() -> list[dict]:
    rows: list[dict] = [
        _agency(
            "DD-111",
            "hotline_111",
            "N",
            "Tổng đài điện thoại quốc gia về phòng, chống mua bán người 111",
            "National anti-trafficking hotline 111",
            places.NATIONAL,
            valid_from=HOTLINE_111_START,
        )
    ]
    for n in range(1, 5):
        rows.append(
            _agency(
                f"CSB-VUNG-{n}",
                "coast_guard",
                "N",
                f"Bộ Tư lệnh Vùng Cảnh sát biển {n}",
                f"Coast Guard Region {n} Command",
                places.NATIONAL,
            )
        )
    for iso, vi, en in [
        ("CN", "Trung Quốc", "China"),
        ("KH", "Campuchia", "Cambodia"),
        ("LA", "Lào", "Laos"),
    ]:
        rows.append(
            _agency(
                f"DSQ-{iso}",
                "mission",
                "X",
                f"Đại sứ quán Việt Nam tại {vi}",
                f"Embassy of Viet Nam in {en}",
                places.NATIONAL,
            )
        )

    border_today = {
        succ for old in BORDER_OR_COAST_OLD for succ in places.successors(places.legacy_code(old))
    }
    provinces = sorted(places.provinces(), key=lambda u: u.code)
    for province in provinces:
        pc = province.code
        vi_p, short = _province_names(province.name)
        for prefix, agency_type, vi, en in PROVINCIAL:
            if agency_type == "border_guard" and pc not in border_today:
                continue
            parent = f"{PARENTS[prefix]}-{pc}" if prefix in PARENTS else None
            rows.append(
                _agency(
                    f"{prefix}-{pc}",
                    agency_type,
                    "P",
                    f"{vi} {vi_p}",
                    f"{short} {en}",
                    pc,
                    parent_code=parent,
                )
            )
    for province in provinces:
        for commune in sorted(places.communes_of(province.code), key=lambda u: u.code):
            cc, name = commune.code, _clean(commune.name)
            rows.append(
                _agency(
                    f"UBND-XA-{cc}",
                    "commune_pc",
                    "C",
                    f"Ủy ban nhân dân {name}",
                    f"People's Committee of {name}",
                    cc,
                    valid_from=places.CUTOVER,
                )
            )
            rows.append(
                _agency(
                    f"CA-XA-{cc}",
                    "commune_police",
                    "C",
                    f"Công an {name}",
                    f"Police of {name}",
                    cc,
                    valid_from=places.CUTOVER,
                    parent_code=f"CA-TINH-{province.code}",
                )
            )

    old_provinces = sorted(places.units_on(date(2025, 6, 30), "P"), key=lambda u: u.code)
    for old in old_provinces:
        vi_p, short = _province_names(old.name)
        today = places.current_province_of(old.code)
        rows.append(
            _agency(
                f"SLDTBXH-{old.gso_code}",
                "provincial_labour",
                "P",
                f"Sở Lao động - Thương binh và Xã hội {vi_p}",
                f"{short} Department of Labour, Invalids and Social Affairs (DOLISA)",
                old.code,
                valid_to=DOLISA_END,
                successor_codes=[f"SYT-{today}"],
            )
        )
    for old in old_provinces:
        today = places.current_province_of(old.code)
        for district in sorted(places.districts_of(old.code), key=lambda u: u.code):
            if district.gso_code in NO_DISTRICT_BODIES:
                continue
            kind = _district_kind(district.name)
            vi_d, short, en_kind = _district_names(district.name, kind)
            rows.append(
                _agency(
                    f"CA-HUYEN-{district.gso_code}",
                    "district_police",
                    "D",
                    f"Công an {vi_d}",
                    f"{short} {en_kind} Police",
                    district.code,
                    valid_to=DISTRICT_POLICE_END,
                    successor_codes=[f"CA-TINH-{today}"],
                )
            )
            rows.append(
                _agency(
                    f"PLDTBXH-{district.gso_code}",
                    "district_labour",
                    "D",
                    f"Phòng Lao động - Thương binh và Xã hội {vi_d}",
                    f"{short} {en_kind} Office of Labour, Invalids and Social Affairs",
                    district.code,
                    valid_to=DISTRICT_LEVEL_END,
                    successor_codes=[f"SYT-{today}"],
                    parent_code=f"SLDTBXH-{old.gso_code}",
                )
            )
    return rows


# The two bodies of every old commune: (code, agency_type, level, name_vi, name_en, jurisdiction,
# successor, parent) prefixes that `agencies` completes from each row of the section. The jurisdiction
# is the old commune ("L:<gso>"); successors are the same body of the communes of today listed in the
# row; the police's parent is the district police of its district.
OLD_COMMUNE_BODIES: list[dict[str, str]] = [
    {
        "code": "UBND-XA-L-",
        "agency_type": "commune_pc",
        "level": "C",
        "name_vi": "Ủy ban nhân dân ",
        "name_en": "People's Committee of ",
        "jurisdiction": places.LEGACY_PREFIX,
        "successor": "UBND-XA-",
    },
    {
        "code": "CA-XA-L-",
        "agency_type": "commune_police",
        "level": "C",
        "name_vi": "Công an ",
        "name_en": "Police of ",
        "jurisdiction": places.LEGACY_PREFIX,
        "successor": "CA-XA-",
        "parent": "CA-HUYEN-",
    },
]


def build_old_communes() -> dict[str, Any]:
    """The compact section for the bodies of the old communes (see the module doc and
    `agencies._old_commune_bodies`): rows [gso, commune name, district gso, [successor codes]]."""
    districts: dict[str, list[str]] = {}
    rows: list[list[Any]] = []
    for old in sorted(places.units_on(date(2025, 6, 30), "C"), key=lambda u: u.code):
        district = places.lookup(old.district_code)
        province = places.lookup(old.province_code)
        dgso = district.gso_code
        if dgso not in districts:
            vi_d, short_d, en_kind = _district_names(district.name, _district_kind(district.name))
            vi_p, short_p = _province_names(province.name)
            districts[dgso] = [f"{vi_d}, {vi_p}", f"{short_d} {en_kind}, {short_p}"]
        successors = places.successors(old.code)
        if not successors:
            raise ValueError(f"old commune {old.code} has no successor")
        rows.append([old.gso_code, _clean(old.name), dgso, successors])
    return {
        "about": "One row per commune of the map before 2025-07-01: [GSO code, name, district GSO code, "
        "today's communes that took its territory, primary first]. Each row stands for one body per entry "
        "of 'bodies': code, jurisdiction = prefix + GSO code; name = prefix + name + ', ' + the district's "
        "qualifier; successor_codes = successor prefix + each code; parent = parent prefix + district.",
        "valid_to": DISTRICT_LEVEL_END.isoformat(),
        "bodies": OLD_COMMUNE_BODIES,
        "districts": dict(sorted(districts.items())),
        "rows": rows,
    }


def _district_kind(name: str) -> str:
    for kind in ("Thành phố", "Thị xã", "Quận", "Huyện"):
        if _clean(name).lower().startswith(kind.lower()):
            return kind
    raise ValueError(f"unknown district kind: {name!r}")


def render(rows: list[dict], old_communes: dict[str, Any]) -> str:
    """One agency (one old commune) per line, so a diff shows which agencies changed."""
    meta = places.legacy_meta()["sources"]
    header = {
        "version": places.ADMIN_UNIT_VERSION,
        "source": "generated by services/agency_registry_build.py over real units: today's from "
        f"{meta['current_codes']}, the old map and successions from {meta['legacy_units_and_crosswalk']}",
        "counts": {
            "agencies": len(rows),
            "old_communes": len(old_communes["rows"]),
            "old_commune_bodies": len(old_communes["rows"]) * len(old_communes["bodies"]),
        },
    }

    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = [f'  "{k}": {dump(v)},' for k, v in header.items()]
    body = ",\n".join("    " + dump(r) for r in rows)
    old = ['  "old_commune_bodies": {']
    old += [f'    "{k}": {dump(old_communes[k])},' for k in ("about", "valid_to")]
    old.append(
        '    "bodies": [\n' + ",\n".join("      " + dump(b) for b in old_communes["bodies"]) + "\n    ],"
    )
    districts = old_communes["districts"].items()
    old.append('    "districts": {\n' + ",\n".join(f"      {dump(k)}: {dump(v)}" for k, v in districts))
    old.append("    },")
    old.append('    "rows": [\n' + ",\n".join("      " + dump(r) for r in old_communes["rows"]) + "\n    ]")
    old.append("  }")
    return "{\n" + "\n".join(lines) + '\n  "agencies": [\n' + body + "\n  ],\n" + "\n".join(old) + "\n}\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="fail if --out differs from a fresh build")
    args = parser.parse_args()
    rows, old_communes = build(), build_old_communes()
    text = render(rows, old_communes)
    if args.check:
        if args.out.read_text("utf-8") != text:
            sys.exit(f"{args.out} is stale: rerun python -m lienthong.agency_registry_build")
        print(f"{args.out} is up to date")
        return
    args.out.write_text(text, "utf-8")
    n_old = len(old_communes["rows"]) * len(old_communes["bodies"])
    print(
        f"wrote {args.out} ({len(text.encode()):,} bytes, {len(rows):,} agencies listed "
        f"+ {n_old:,} bodies of {len(old_communes['rows']):,} old communes)"
    )


if __name__ == "__main__":
    main()
