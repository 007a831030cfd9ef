"""view_access.toml: the access rules of the agency views are data, loaded and validated at start; a row
that names an unknown view, agency type, scope or column stops the process with an error naming it."""

from __future__ import annotations

import re
import tomllib
from importlib import resources

import pytest

from lienthong.agencies import AGENCY_TYPES
from lienthong.projections import agency_views
from lienthong.projections.agency_views.access import ViewAccessError, default_access, load

TEXT = resources.files("lienthong").joinpath("data/view_access.toml").read_text("utf-8")


def _broken(tmp_path, old: str, new: str, count: int = 1):
    assert old in TEXT, old
    path = tmp_path / "view_access.toml"
    path.write_text(TEXT.replace(old, new, count), "utf-8")
    return path


def test_the_packaged_rules_cover_every_view_with_known_types_sources_and_columns():
    access = default_access()
    assert set(access) == set(agency_views.SPECS)
    for name, view in access.items():
        assert view.source.startswith("DOMAIN §a"), name
        assert set(view.readers) <= AGENCY_TYPES and view.readers
        assert all(r.source for r in view.readers.values())
        assert view.spec.key in view.columns
        assert view.spec.sealed_column not in view.columns
        assert view.personal_data_readers <= set(view.readers)
    # Personal data: only the lead in its register, and provincial police for verification.
    assert {n: sorted(v.personal_data_readers) for n, v in access.items() if v.personal_data} == {
        "health_register": ["provincial_health"],
        "police_area": ["provincial_police"],
    }
    # Finance sees no person: neither a case id nor a person ref is a column of its view.
    assert not {"case_id", "person_ref"} & set(access["finance_payments"].columns)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'agency_type = "provincial_health"\n  scope = "own_province"\n  source = "DOMAIN §a Sở Y tế',
            'agency_type = "provincal_health"\n  scope = "own_province"\n  source = "DOMAIN §a Sở Y tế',
            r"views\[0\] \(health_register\): readers\[0\]: agency_type 'provincal_health' is not an agen",
        ),
        (
            '"case_id", "province_code", "commune_code", "person_ref",',
            '"case_id", "province_code", "commune_code", "person_name",',
            r"views\[0\] \(health_register\): columns: 'person_name' is not a column of view health_register",
        ),
        (
            '"last_event_type", "last_event_at",\n]',
            '"last_event_type", "last_event_at", "sealed_personal_data",\n]',
            r"views\[0\] \(health_register\): columns: 'sealed_personal_data' holds sealed personal data",
        ),
        (
            'agency_type = "social_facility"\n  scope = "addressee_only"',
            'agency_type = "social_facility"\n  scope = "own_province"',
            r"views\[3\] \(facility_residents\): readers\[0\]: scope 'own_province' cannot be enforced",
        ),
        (
            'scope = "own_commune"',
            'scope = "own_district"',
            r"views\[1\] \(police_area\): readers\[1\]: scope 'own_district' is not one of",
        ),
        (
            'personal_data_readers = ["provincial_police"]',
            'personal_data_readers = ["provincial_police", "commune_pc"]',
            r"views\[1\] \(police_area\): personal_data_readers: 'commune_pc' is not among the view's",
        ),
        (
            'filters = ["year", "support_type", "budget_source", "rate_table_id"]',
            'filters = ["year", "case_id"]',
            r"views\[7\] \(finance_payments\): filters: 'case_id' is not one of the view's columns",
        ),
        (
            'name = "hotline_tips"',
            'name = "hotline_calls"',
            r"views\[10\]: name 'hotline_calls' is not a view",
        ),
        (
            'personal_data = false\n\n  [[views.readers]]\n  agency_type = "border_guard"',
            'personal_data = true\n\n  [[views.readers]]\n  agency_type = "border_guard"',
            r"views\[2\] \(border_receipts\): personal_data = true but view border_receipts keeps no sealed",
        ),
    ],
)
def test_a_broken_row_is_refused_with_an_error_naming_the_row(tmp_path, old, new, message):
    with pytest.raises(ViewAccessError, match=message):
        load(_broken(tmp_path, old, new))


def test_a_view_without_a_row_is_refused(tmp_path):
    doc = tomllib.loads(TEXT)
    start = TEXT.index('[[views]]\nname = "hotline_tips"')
    path = tmp_path / "view_access.toml"
    path.write_text(TEXT[:start], "utf-8")
    assert len(doc["views"]) == len(agency_views.SPECS)
    with pytest.raises(ViewAccessError, match=re.escape("no row for view(s) ['hotline_tips']")):
        load(path)
