"""Broken rule files fail at load, naming file, row, field and rule; province overlays, valid and broken."""

from __future__ import annotations

import shutil
import tomllib
from datetime import date
from pathlib import Path

import pytest

from lienthong.rules import Rules, RulesError
from lienthong.rules.rules import DATA_DIR


@pytest.fixture
def data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def rows_in(name: str, table: str) -> int:
    with (DATA_DIR / name).open("rb") as fh:
        return len(tomllib.load(fh)[table])


def append(data: Path, name: str, text: str) -> None:
    with (data / name).open("a", encoding="utf-8") as fh:
        fh.write("\n" + text.strip() + "\n")


def load_error(data: Path, overlays: tuple[Path, ...] = ()) -> RulesError:
    with pytest.raises(RulesError) as caught:
        Rules.load(data, overlays=overlays)
    return caught.value


MANDATE = """
[[mandates]]
agency_type = "{agency_type}"
levels = {levels}
event_types = {events}
jurisdiction = "own_unit"
valid_from = {valid_from}
{extra}
"""


def mandate(
    agency_type: str = "commune_pc",
    levels: str = '["C"]',
    events: str = '["BudgetAllocated"]',
    valid_from: str = "2026-01-01",
    extra: str = 'legal_basis = "test"',
) -> str:
    return MANDATE.format(
        agency_type=agency_type, levels=levels, events=events, valid_from=valid_from, extra=extra
    )


DEADLINE = """
[[deadlines]]
name = "test_deadline"
regime = "L2024"
{length}
starts_from = "{starts_from}"
satisfied_by = {satisfied_by}
responsible_agency_type = "commune_pc"
valid_from = 2026-01-01
legal_basis = {legal_basis}
"""

ENTITLEMENT = """
[[entitlements]]
support_type = "essential_needs"
statuses = {statuses}
regime = "{regime}"
one_off = false
valid_from = {valid_from}
legal_basis = "test"
"""

RATE = """
[[rates]]
province_code = "{code}"
support_type = "initial_hardship"
item = "allowance"
amount_vnd = 1_000_000
unit = "one_off"
rate_table_id = "{rate_table_id}"
instrument = "{instrument}"
valid_from = {valid_from}
legal_basis = "test"
{extra}
"""


def rate(
    code: str = "31",
    rate_table_id: str = "31-TEST-2030-01",
    instrument: str = "QĐ test",
    valid_from: str = "2030-01-01",
    extra: str = "",
) -> str:
    return RATE.format(
        code=code, rate_table_id=rate_table_id, instrument=instrument, valid_from=valid_from, extra=extra
    )


N_MANDATES = rows_in("mandates.toml", "mandates")
N_DEADLINES = rows_in("deadlines.toml", "deadlines")
N_ENTITLEMENTS = rows_in("entitlements.toml", "entitlements")
N_RATES = rows_in("rates.toml", "rates")
N_HOLIDAYS = rows_in("holidays.toml", "holidays")

BROKEN_ROWS = [
    # (id, file, appended text, table, field, rule)
    (
        "unknown agency type",
        "mandates.toml",
        mandate(agency_type="dolisa"),
        "mandates",
        "agency_type",
        "unknown_agency_type",
    ),
    (
        "unknown event type",
        "mandates.toml",
        mandate(events='["VerificationCompleted"]'),
        "mandates",
        "event_types",
        "unknown_event_type",
    ),
    ("unknown level", "mandates.toml", mandate(levels='["Q"]'), "mandates", "levels", "unknown_level"),
    (
        "overlapping mandate",
        "mandates.toml",
        mandate(agency_type="commune_police", events='["PersonReported"]', valid_from="2020-01-01"),
        "mandates",
        "valid_from",
        "overlapping_period",
    ),
    (
        "valid_to not after valid_from",
        "mandates.toml",
        mandate(extra='valid_to = 2026-01-01\nlegal_basis = "test"'),
        "mandates",
        "valid_to",
        "empty_period",
    ),
    (
        "missing legal basis",
        "mandates.toml",
        mandate(extra=""),
        "mandates",
        "legal_basis",
        "missing_legal_basis",
    ),
    (
        "blank legal basis",
        "mandates.toml",
        mandate(extra='legal_basis = "  "'),
        "mandates",
        "legal_basis",
        "missing_legal_basis",
    ),
    (
        "outside agency lifetime",
        "mandates.toml",
        mandate(
            agency_type="district_police",
            levels='["D"]',
            valid_from="2024-01-01",
            extra='valid_to = 2025-07-01\nlegal_basis = "t"',
        ),
        "mandates",
        "valid_from",
        "outside_agency_type_lifetime",
    ),
    (
        "level the type does not have",
        "mandates.toml",
        mandate(levels='["P"]'),
        "mandates",
        "valid_from",
        "outside_agency_type_lifetime",
    ),
    (
        "uncertain without a note",
        "mandates.toml",
        mandate(extra='legal_basis = "t"\nuncertain = true'),
        "mandates",
        "note",
        "note_required",
    ),
    (
        "typo in a field name",
        "mandates.toml",
        mandate(extra='legal_basis = "t"\nvalid_until = 2027-01-01'),
        "mandates",
        "valid_until",
        "unknown_field",
    ),
    (
        "two lengths",
        "deadlines.toml",
        DEADLINE.format(
            length="days = 3\nhours = 4",
            starts_from="TipReceived",
            satisfied_by='["TipForwarded"]',
            legal_basis='"t"',
        ),
        "deadlines",
        "days",
        "one_length",
    ),
    (
        "unknown event in satisfied_by",
        "deadlines.toml",
        DEADLINE.format(
            length="days = 3", starts_from="TipReceived", satisfied_by='["TipDone"]', legal_basis='"t"'
        ),
        "deadlines",
        "satisfied_by",
        "unknown_event_type",
    ),
    (
        "deadline without legal basis",
        "deadlines.toml",
        DEADLINE.format(
            length="days = 3", starts_from="TipReceived", satisfied_by='["TipForwarded"]', legal_basis='""'
        ),
        "deadlines",
        "legal_basis",
        "missing_legal_basis",
    ),
    (
        "status of the other regime",
        "entitlements.toml",
        ENTITLEMENT.format(statuses='["in_identification"]', regime="L2011", valid_from="2030-01-01"),
        "entitlements",
        "statuses",
        "status_not_in_regime",
    ),
    (
        "overlapping entitlement",
        "entitlements.toml",
        ENTITLEMENT.format(statuses='["victim"]', regime="L2011", valid_from="2030-01-01"),
        "entitlements",
        "valid_from",
        "overlapping_period",
    ),
    (
        "date written as a string",
        "entitlements.toml",
        ENTITLEMENT.format(statuses='["victim"]', regime="L2011", valid_from='"2030-01-01"'),
        "entitlements",
        "valid_from",
        "not_a_date",
    ),
    (
        "synthetic row not labelled",
        "rates.toml",
        rate(extra='synthetic = true\nnote = "demo"'),
        "rates",
        "instrument",
        "synthetic_not_labelled",
    ),
    (
        "rate table id of another province",
        "rates.toml",
        rate(rate_table_id="48-TEST-2030-01"),
        "rates",
        "rate_table_id",
        "rate_table_id_format",
    ),
    (
        "rate table id reused",
        "rates.toml",
        rate(code="48", rate_table_id="48-SYN-2026-01"),
        "rates",
        "rate_table_id",
        "inconsistent_rate_table",
    ),
    (
        "overlapping rate",
        "rates.toml",
        rate(code="48", rate_table_id="48-X-2026-06", valid_from="2026-06-01"),
        "rates",
        "valid_from",
        "overlapping_period",
    ),
    (
        "bad province code",
        "rates.toml",
        rate(code="Đà Nẵng", rate_table_id="x"),
        "rates",
        "province_code",
        "bad_format",
    ),
    (
        "swap_work on a weekday",
        "holidays.toml",
        '[[holidays]]\ndate = 2027-03-03\nname = "t"\nkind = "swap_work"\nlegal_basis = "t"',
        "holidays",
        "kind",
        "swap_work_not_rest_day",
    ),
    (
        "holiday listed twice",
        "holidays.toml",
        '[[holidays]]\ndate = 2026-04-30\nname = "t"\nkind = "holiday"\nlegal_basis = "t"',
        "holidays",
        "date",
        "duplicate_date",
    ),
]


@pytest.mark.parametrize(
    ("file", "text", "table", "field", "rule"),
    [case[1:] for case in BROKEN_ROWS],
    ids=[case[0] for case in BROKEN_ROWS],
)
def test_broken_row_names_file_row_field_and_rule(data, file, text, table, field, rule):
    append(data, file, text)
    err = load_error(data)
    expected_row = {
        "mandates": N_MANDATES,
        "deadlines": N_DEADLINES,
        "entitlements": N_ENTITLEMENTS,
        "rates": N_RATES,
        "holidays": N_HOLIDAYS,
    }[table]
    assert (Path(err.file).name, err.table, err.row, err.field, err.rule) == (
        file,
        table,
        expected_row,
        field,
        rule,
    )
    assert len(err.problems) == 1, err
    message = str(err)
    assert file in message and f"{table}[{expected_row}].{field}" in message and f"(rule: {rule})" in message


def test_every_problem_is_reported_at_once(data):
    append(data, "mandates.toml", mandate(agency_type="dolisa"))
    append(data, "rates.toml", rate(extra='synthetic = true\nnote = "demo"'))
    err = load_error(data)
    assert [p.rule for p in err.problems] == ["unknown_agency_type", "synthetic_not_labelled"]
    assert "and 1 more" in str(err)


def test_toml_syntax_error_names_the_file(data):
    append(data, "deadlines.toml", "[[deadlines]\nname = ")
    err = load_error(data)
    assert (Path(err.file).name, err.rule, err.row) == ("deadlines.toml", "toml_syntax", None)


def test_missing_file(data):
    (data / "holidays.toml").unlink()
    err = load_error(data)
    assert (Path(err.file).name, err.rule) == ("holidays.toml", "missing_file")


def test_an_event_type_nobody_may_emit_is_an_error(data):
    path = data / "mandates.toml"
    path.write_text(path.read_text("utf-8").replace('["BudgetAllocated"]', '["AnnualPlanIssued"]'), "utf-8")
    err = load_error(data)
    assert (err.table, err.field, err.rule) == ("mandates", "event_types", "event_type_never_mandated")
    assert "BudgetAllocated" in str(err)


def test_regimes_must_be_contiguous_and_match_the_cut_over(data):
    path = data / "regimes.toml"
    text = path.read_text("utf-8").replace(
        'regime = "L2024"\nvalid_from = 2025-07-01', 'regime = "L2024"\nvalid_from = 2025-08-01'
    )
    path.write_text(text, "utf-8")
    err = load_error(data)
    assert {p.rule for p in err.problems} == {"gap_between_regimes", "cutover_mismatch"}


# -- province overlays ----------------------------------------------------------------------------------

OVERLAY_48 = """
[overlay]
province_code = "48"
predecessor_codes = ["L:48", "L:49"]
legal_basis = "QĐ test/2026/QĐ-UBND (Đà Nẵng, synthetic)"

[[rates]]
province_code = "48"
support_type = "essential_needs"
item = "food"
amount_vnd = 80_000
unit = "per_day"
max_units = 120
rate_table_id = "48-QD-2026-03"
instrument = "QĐ test/2026/QĐ-UBND"
valid_from = 2026-03-01
legal_basis = "QĐ test/2026/QĐ-UBND"

[[deadlines]]
name = "reintegration_application"
regime = "L2024"
months = 6
starts_from = "VictimCertificateIssued"
satisfied_by = ["SupportApplicationSubmitted"]
responsible_agency_type = "applicant"
valid_from = 2025-07-01
legal_basis = "QĐ test/2026/QĐ-UBND (fills in the UNCERTAIN L2024 time limit)"

[[entitlements]]
support_type = "initial_hardship"
statuses = ["victim"]
regime = "L2024"
one_off = true
valid_from = 2025-07-01
legal_basis = "QĐ test/2026/QĐ-UBND (no poor-household condition)"

[[mandates]]
agency_type = "provincial_health"
levels = ["P"]
event_types = ["ReceptionRegistered"]
jurisdiction = "own_province"
valid_from = 2025-03-01
valid_to = 2025-07-01
granted = false
legal_basis = "Đà Nẵng DOLISA kept reception until 2025-06-30 (synthetic)"
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def test_overlay_replaces_a_rate_for_one_province_only(tmp_path):
    base = Rules.load()
    rules = Rules.load(overlays=[write(tmp_path, "48.toml", OVERLAY_48)])
    on = date(2026, 3, 1)
    replaced = rules.rate("48", "essential_needs", on, item="food")
    assert (
        replaced.amount_vnd == 80_000
        and replaced.overlay == "48"
        and replaced.rate_table_id == "48-QD-2026-03"
    )
    assert rules.rate("48", "essential_needs", date(2026, 2, 28), item="food") == base.rate(
        "48", "essential_needs", date(2026, 2, 28), item="food"
    )
    assert rules.rate("31", "essential_needs", on, item="food") == base.rate(
        "31", "essential_needs", on, item="food"
    )
    assert rules.rate(
        "48", "essential_needs", on, item="clothing_personal_items"
    ).synthetic  # other items kept
    assert [o.province_code for o in rules.overlays] == ["48"]


def test_overlay_fills_in_uncertain_values_for_its_province(tmp_path):
    rules = Rules.load(overlays=[write(tmp_path, "48.toml", OVERLAY_48)])
    on = date(2026, 1, 1)
    assert rules.deadline("reintegration_application", "L2024", on, province="48").months == 6
    assert rules.deadline("reintegration_application", "L2024", on, province="31").months == 12
    assert rules.deadline("reintegration_application", "L2024", on).uncertain
    assert rules.entitlement("initial_hardship", "victim", "L2024", on, province="48").requires == frozenset()
    assert (
        "poor_household"
        in rules.entitlement("initial_hardship", "victim", "L2024", on, province="31").requires
    )


def test_overlay_can_deny_an_uncertain_mandate(tmp_path):
    rules = Rules.load(overlays=[write(tmp_path, "48.toml", OVERLAY_48)])
    on = date(2025, 4, 1)
    assert rules.mandate_for("provincial_health", "P", "ReceptionRegistered", on, province="48") is None
    assert rules.mandate_for("provincial_health", "P", "ReceptionRegistered", on, province="31") is not None
    assert rules.mandate_for("provincial_health", "P", "ReceptionRegistered", date(2025, 7, 1), province="48")


HEADER_31 = '[overlay]\nprovince_code = "31"\nlegal_basis = "test"\n'

BROKEN_OVERLAYS = [
    # (id, text, table, field, rule)
    (
        "rate of another province",
        HEADER_31 + rate(code="48", rate_table_id="48-T-2030-01"),
        "rates",
        "province_code",
        "overlay_other_province",
    ),
    (
        "national table",
        HEADER_31 + '[[holidays]]\ndate = 2027-03-03\nname = "t"\nkind = "holiday"\nlegal_basis = "t"',
        "holidays",
        None,
        "national_table_in_overlay",
    ),
    (
        "deadline the nation does not have",
        HEADER_31
        + DEADLINE.format(
            length="days = 3", starts_from="TipReceived", satisfied_by='["TipForwarded"]', legal_basis='"t"'
        ),
        "deadlines",
        "name",
        "overlay_unknown_deadline",
    ),
    ("no header", rate(), "overlay", None, "missing_table"),
    (
        "header without legal basis",
        '[overlay]\nprovince_code = "31"\n',
        "overlay",
        "legal_basis",
        "missing_legal_basis",
    ),
    (
        "unknown event type",
        HEADER_31 + mandate(events='["Foo"]'),
        "mandates",
        "event_types",
        "unknown_event_type",
    ),
]


@pytest.mark.parametrize(
    ("text", "table", "field", "rule"), [c[1:] for c in BROKEN_OVERLAYS], ids=[c[0] for c in BROKEN_OVERLAYS]
)
def test_overlays_are_validated_too(tmp_path, text, table, field, rule):
    path = write(tmp_path, "31.toml", text)
    err = load_error(DATA_DIR, overlays=(path,))
    assert (err.file, err.table, err.field, err.rule) == (str(path), table, field, rule)


def test_two_overlays_for_one_province_may_not_overlap(tmp_path):
    first = write(tmp_path, "a.toml", HEADER_31 + rate())
    second = write(
        tmp_path, "b.toml", HEADER_31 + rate(rate_table_id="31-TEST2-2030-06", valid_from="2030-06-01")
    )
    err = load_error(DATA_DIR, overlays=(first, second))
    assert (err.file, err.table, err.row, err.rule) == (str(second), "rates", 0, "overlapping_period")


# -- a deadline may start from several events (deadlines.toml `starts_from` as a list) -----------------

LISTED_START = """
[[deadlines]]
name = "test_deadline"
regime = "L2024"
days = 3
starts_from = {starts_from}
satisfied_by = ["TipForwarded"]
responsible_agency_type = "commune_pc"
valid_from = 2026-01-01
legal_basis = "t"
"""


def test_starts_from_may_list_several_events_in_order(data: Path) -> None:
    append(data, "deadlines.toml", LISTED_START.format(starts_from='["TipReceived", "PersonReported"]'))
    row = Rules.load(data).deadline("test_deadline", "L2024", date(2026, 2, 1))
    assert row.starts_from_events == ("TipReceived", "PersonReported") and row.starts_from == "TipReceived"
    assert row.starts_on("PersonReported") and not row.starts_on("TipForwarded")


@pytest.mark.parametrize(
    ("starts_from", "rule"),
    [
        ('["TipReceived", "TipDone"]', "unknown_event_type"),
        ('["TipReceived", "TipReceived"]', "duplicate_value"),
        ("[]", "empty_value"),
        ("3", "wrong_type"),
    ],
)
def test_a_broken_starts_from_list_stops_the_load_naming_the_row(
    data: Path, starts_from: str, rule: str
) -> None:
    append(data, "deadlines.toml", LISTED_START.format(starts_from=starts_from))
    problems = load_error(data).problems
    assert any(p.table == "deadlines" and p.field == "starts_from" and p.rule == rule for p in problems), (
        problems
    )


def test_L53_2024_Art27_2_the_initial_verification_clock_starts_from_either_receipt_in_the_data() -> None:
    from lienthong.projections.alerts.kinds import KINDS

    rules = Rules.load()
    row = rules.deadline("initial_verification", "L2024", date(2025, 7, 10))
    assert set(row.starts_from_events) == {"IdentificationStarted", "ReceptionRegistered"}
    assert not any(hasattr(kind, "also_starts_from") for kind in KINDS.values())  # none added in code
