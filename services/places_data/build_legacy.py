"""Freeze the pre-2025-07-01 administrative map and its successions into legacy_units.json.gz.

Run from the repository root (build-time only; nothing here is imported at run time):

    .venv/bin/pip install --no-deps vietnamadminunits==1.0.4   # data files only, its deps are not needed
    .venv/bin/python services/places_data/build_legacy.py [--source PATH]

`--source` may name the unpacked `vietnamadminunits` package directory or its wheel; by default the
installed package is located without importing it (its __init__ pulls in shapely/geopy).

Sources
- Old map (63 provinces, 696 districts, 10,035 communes as they stood on 2025-06-30) and the
  old -> new crosswalk: `vietnamadminunits` 1.0.4 (MIT, github.com/tranngocminhhieu/vietnamadminunits),
  files data/dataset.db (table admin_units_legacy) and data/converter_2025.json.
- Today's codes: `vietnam-provinces` 2025.10.1 (GSO codes per Decision 19/2025/QD-TTg). The crosswalk
  names new wards by name only (its own new-ward codes come from a map site and disagree with the
  GSO codes for ~120 wards), so every new ward is resolved by name inside its province against
  vietnam-provinces; the build fails if any name does not resolve to exactly one code.
- Province successions are checked against RESOLUTION_202 below (Resolution 202/2025/QH15 Art. 1).
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import io
import json
import re
import sqlite3
import sys
import tempfile
import unicodedata
import zipfile
from collections import defaultdict
from pathlib import Path

from vietnam_provinces import Province, Ward
from vietnam_provinces import __version__ as VP_VERSION

OUT = Path(__file__).with_name("legacy_units.json.gz")
VAU_VERSION = "1.0.4"

# Resolution 202/2025/QH15 (2025-06-12) Art. 1: today's province code -> old (pre-2025-07-01) province
# codes whose whole territory it took. 23 merged units + 11 unchanged = 34; 63 old codes in all.
# Written from the resolution's article list (Tuyên Quang+Hà Giang, Lào Cai+Yên Bái, ...); the new
# unit takes the GSO code of the province that hosts the new seat (e.g. Lào Cai 15 = old Yên Bái).
RESOLUTION_202: dict[str, list[str]] = {
    "01": ["01"], "04": ["04"], "08": ["02", "08"], "11": ["11"], "12": ["12"], "14": ["14"],
    "15": ["10", "15"], "19": ["06", "19"], "20": ["20"], "22": ["22"], "24": ["24", "27"],
    "25": ["17", "25", "26"], "31": ["30", "31"], "33": ["33", "34"], "37": ["35", "36", "37"],
    "38": ["38"], "40": ["40"], "42": ["42"], "44": ["44", "45"], "46": ["46"], "48": ["48", "49"],
    "51": ["51", "62"], "52": ["52", "64"], "56": ["56", "58"], "66": ["54", "66"],
    "68": ["60", "67", "68"], "75": ["70", "75"], "79": ["74", "77", "79"], "80": ["72", "80"],
    "82": ["82", "87"], "86": ["83", "84", "86"], "91": ["89", "91"], "92": ["92", "93", "94"],
    "96": ["95", "96"],
}  # fmt: skip

_TONES = "\u0300\u0301\u0303\u0309\u0323"


def tone_key(name: str) -> str:
    """Name key that ignores case, spacing and tone-mark placement (Hoà == Hòa, Thuỷ == Thủy)."""
    words = []
    for word in unicodedata.normalize("NFD", name.lower()).replace("-", " ").split():
        tones = "".join(sorted(ch for ch in word if ch in _TONES))
        base = unicodedata.normalize("NFC", "".join(ch for ch in word if ch not in _TONES))
        words.append(base + tones)
    return " ".join(words)


def folded_key(name: str) -> str:
    s = unicodedata.normalize("NFD", name.lower())
    s = "".join(ch for ch in s if unicodedata.category(ch) != "Mn").replace("đ", "d")
    return re.sub(r"[^a-z0-9]+", "", s)


def province_key(name: str) -> str:
    return re.sub(r"^(tinh|thanhpho)", "", folded_key(name))


def _source_dir(source: str | None, tmp: Path) -> Path:
    if source is None:
        spec = importlib.util.find_spec("vietnamadminunits")
        if spec is None or not spec.submodule_search_locations:
            sys.exit(f"vietnamadminunits not found: pip install --no-deps vietnamadminunits=={VAU_VERSION}")
        return Path(next(iter(spec.submodule_search_locations)))
    path = Path(source)
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as whl:
            whl.extractall(tmp)
        return tmp / "vietnamadminunits"
    return path


def build(source: str | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        src = _source_dir(source, Path(tmp))
        conn = sqlite3.connect(src / "data" / "dataset.db")
        legacy = conn.execute(
            "SELECT provinceCode, province, provinceKey, districtCode, district, districtType, districtKey,"
            " wardCode, ward, wardKey FROM admin_units_legacy ORDER BY provinceCode, districtCode, wardCode"
        ).fetchall()
        new_rows = conn.execute(
            "SELECT wardCode, province, provinceKey, ward, wardKey FROM admin_units"
        ).fetchall()
        conn.close()
        converter = json.loads((src / "data" / "converter_2025.json").read_text("utf-8"))

    # Today's units from vietnam-provinces, indexed by name inside each province.
    today_prov = {f"{int(p.code):02d}": p.name for p in Province.iter_all()}
    by_tone: dict[tuple[str, str], list[str]] = defaultdict(list)
    by_fold: dict[tuple[str, str], list[str]] = defaultdict(list)
    for w in Ward.iter_all():
        pc, wc = f"{int(w.province_code):02d}", f"{int(w.code):05d}"
        by_tone[(pc, tone_key(w.name))].append(wc)
        by_fold[(pc, folded_key(w.name))].append(wc)

    # The crosswalk's province keys -> today's province code, matched by name.
    today_by_name = {province_key(n): c for c, n in today_prov.items()}
    new_prov_code: dict[str, str] = {}
    for _code, pname, pkey, _w, _k in new_rows:
        new_prov_code[pkey] = today_by_name[province_key(pname)]

    # The crosswalk's new ward keys -> GSO code (by name), counting where its own codes disagree.
    new_ward_code: dict[tuple[str, str], str] = {}
    for _code, _pname, pkey, wname, wkey in new_rows:
        pc = new_prov_code[pkey]
        hits = by_tone.get((pc, tone_key(wname))) or by_fold.get((pc, folded_key(wname))) or []
        if len(hits) != 1:
            raise SystemExit(f"new ward {wname!r} ({pc}) resolves to {hits}")
        new_ward_code[(pkey, wkey)] = hits[0]
    if len(set(new_ward_code.values())) != 3321:
        raise SystemExit("crosswalk does not cover the 3,321 current communes one-to-one")
    vau_code_disagreements = sum(
        1 for code, _p, pkey, _w, wkey in new_rows if code != new_ward_code[(pkey, wkey)]
    )

    # Old provinces -> today's province, checked against Resolution 202/2025/QH15.
    old_prov_succ: dict[str, str] = {}
    old_key_to_code = {pkey: pcode for pcode, _pn, pkey, *_ in legacy}
    for new_pkey, old_pkeys in converter["DICT_PROVINCE"].items():
        for old_pkey in old_pkeys:
            old_prov_succ[old_key_to_code[old_pkey]] = new_prov_code[new_pkey]
    expected = {old: new for new, olds in RESOLUTION_202.items() for old in olds}
    if old_prov_succ != expected:
        diff = {k: (old_prov_succ.get(k), expected.get(k)) for k in set(old_prov_succ) | set(expected)}
        raise SystemExit(f"province successions disagree with Resolution 202/2025/QH15: {diff}")

    # Old communes (and the five island districts that had none) -> today's communes.
    succ: dict[str, list[str]] = defaultdict(list)  # old "prov_district_ward" key -> codes, primary first
    for new_pkey, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_wkey, old_keys in wards.items():
            for old_key in old_keys:
                succ[old_key].append(new_ward_code[(new_pkey, new_wkey)])
    for new_pkey, olds in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, parts in olds.items():
            codes = [new_ward_code[(new_pkey, p["newWardKey"])] for p in parts]
            primary = [new_ward_code[(new_pkey, p["newWardKey"])] for p in parts if p["isDefaultNewWard"]]
            if len(primary) != 1 or succ.get(old_key):
                raise SystemExit(f"split commune {old_key}: primary {primary}, already {succ.get(old_key)}")
            succ[old_key] = primary + sorted(set(codes) - set(primary))

    provinces: dict[str, dict] = {}
    districts: dict[str, dict] = {}
    communes: dict[str, dict] = {}
    for pcode, pname, pkey, dcode, dname, dtype, dkey, wcode, wname, wkey in legacy:
        provinces.setdefault(pcode, {"name": pname, "successor": old_prov_succ[pcode]})
        district = districts.setdefault(
            dcode, {"name": dname, "type": dtype, "province": pcode, "successors": []}
        )
        codes = succ.get(f"{pkey}_{dkey}_{wkey or ''}")
        if not codes:
            raise SystemExit(f"old unit {pcode}/{dcode}/{wcode} has no successor")
        if {Ward.from_code(int(c)).province_code for c in codes} != {int(old_prov_succ[pcode])}:
            raise SystemExit(
                f"old unit {wcode or dcode} has successors outside province {old_prov_succ[pcode]}"
            )
        for code in codes:
            if code not in district["successors"]:
                district["successors"].append(code)
        if wcode:
            communes[wcode] = {"name": wname, "district": dcode, "successors": codes}
    for district in districts.values():
        district["successors"].sort()

    return {
        "meta": {
            "version": "2025-06-30",
            "description": "Pre-2025-07-01 administrative map (63 provinces) and succession links to the "
            "map in force since 2025-07-01. Commune 'successors' list today's communes that took its "
            "territory, the crosswalk's default (primary) one first.",
            "sources": {
                "legacy_units_and_crosswalk": f"vietnamadminunits=={VAU_VERSION} (data/dataset.db, "
                "data/converter_2025.json)",
                "current_codes": f"vietnam-provinces=={VP_VERSION}",
                "province_check": "Resolution 202/2025/QH15 Art. 1",
            },
            "generated_by": "services/places_data/build_legacy.py",
            "counts": {"provinces": len(provinces), "districts": len(districts), "communes": len(communes)},
            "crosswalk_new_ward_codes_differing_from_gso": vau_code_disagreements,
        },
        "provinces": provinces,
        "districts": districts,
        "communes": communes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", help="vietnamadminunits package dir or wheel (default: installed)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    data = build(args.source)
    raw = io.BytesIO()
    # mtime=0 keeps the gzip bytes identical across runs (deterministic output).
    with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8"))
    args.out.write_bytes(raw.getvalue())
    print(f"wrote {args.out} ({len(raw.getvalue()):,} bytes): {data['meta']['counts']}")


if __name__ == "__main__":
    main()
