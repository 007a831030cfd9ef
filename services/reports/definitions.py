"""The reports, as data: which report, who produces it, for which periods and units, which tables.

Sources (DOMAIN §e, seeds [S003] §8, [S004] §V.6, §V.10):
- commune: the commune PC's quarterly report of persons received at the commune and the support given
  ([S004] §V.10; [S001] §IV.2);
- province: the lead agency's (Sở Y tế, before 2025 DOLISA) six-monthly and annual report of reception,
  protection and support, compiled for the provincial Steering Committee ([S003] §8 last bullet);
- police / border-guard / ppc-office / hotline-111: each participating agency's own duty report
  ([S003] §8; [S004] §V.6; Decree 162/2025 Art. 5 for the hotline).

Double counting (DOMAIN §e rules 1-2): persons are counted only in the lead agency's person tables
(source "persons": the reporting view, merges followed, one row per counted person); the other agencies'
reports count ACTIVITIES, one per event, and never sum persons across agencies. The one person-level
column outside the lead's report (victims abroad, for the PC office) is computed from the same counted
persons, each once.
"""

from __future__ import annotations

from dataclasses import dataclass

from lienthong.reports.periods import HALF, QUARTER, YEAR

PERSONS, SERVICES, ACTIVITIES, TIPS, ABROAD_PERSONS = "persons", "services", "activities", "tips", "abroad"
COURT_LISTS, INJURED, FLAGS = "court_lists", "injured_parties", "flags"
COUNT, AMOUNT = "count", "amount"

LEADS = frozenset({"provincial_health", "provincial_labour", "district_labour", "steering_committee"})
POLICE = frozenset({"provincial_police", "commune_police", "district_police"})


@dataclass(frozen=True, slots=True)
class Measure:
    """One column of an activity/service/tip table: what it counts (events) or sums (VND)."""

    key: str
    vi: str
    en: str
    kind: str = COUNT  # COUNT | AMOUNT
    source: str = ACTIVITIES
    events: frozenset[str] = frozenset()  # event types that count (empty: every row of the source)
    item_like: str | None = None  # essential needs: an item code containing this
    test: str | None = None  # tips, court lists, injured parties: which items count (compute._TESTS)


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    vi: str
    en: str
    source: str  # PERSONS (a cross-table of counted persons) or a measure table
    rows: str  # row dimension
    columns: str | tuple[Measure, ...]  # PERSONS: the column dimension; else the measures


@dataclass(frozen=True, slots=True)
class ReportKind:
    key: str
    vi: str
    en: str
    basis: str
    frequencies: tuple[str, ...]
    unit_levels: frozenset[str]  # C commune, D old district, P province, N the nation ("VN")
    producers: frozenset[str]  # agency types that may produce it (within their jurisdiction)
    issuer_type: str  # the agency type that issues it (title block)
    agency_types: frozenset[str] | None  # whose activities count (None: every agency's)
    sections: tuple[Section, ...]
    version: int = 1
    publishable: bool = True  # False: lists pseudonymous refs for reconciliation; never suppressed/published

    def as_dict(self) -> dict:
        return {
            "kind": self.key,
            "title_vi": self.vi,
            "title_en": self.en,
            "basis": self.basis,
            "frequencies": list(self.frequencies),
            "unit_levels": sorted(self.unit_levels),
            "issuer_type": self.issuer_type,
            "version": self.version,
            "sections": [{"id": s.id, "title_vi": s.vi, "title_en": s.en} for s in self.sections],
        }


def _persons(id: str, rows: str, vi: str, en: str, columns: str = "legal_status") -> Section:
    return Section(id, vi, en, PERSONS, rows, columns)


_SERVICE_MEASURES = (
    Measure("services", "Số lượt hỗ trợ, bảo vệ", "Services (events)", COUNT, SERVICES),
    Measure("amount_vnd", "Kinh phí (đồng)", "Amount (VND)", AMOUNT, SERVICES),
)


def _services(id: str, rows: str, vi: str, en: str) -> Section:
    return Section(id, vi, en, SERVICES, rows, _SERVICE_MEASURES)


_PERSON_SECTIONS = {
    "P01": _persons(
        "P01",
        "unit",
        "Số người được tiếp nhận theo đơn vị hành chính",
        "Persons received by administrative unit",
    ),
    "P02": _persons("P02", "sex", "Số người được tiếp nhận theo giới tính", "Persons received by sex"),
    "P03": _persons(
        "P03", "age_group", "Số người được tiếp nhận theo nhóm tuổi", "Persons received by age group"
    ),
    "P04": _persons(
        "P04", "exploitation", "Số người theo hình thức bị bóc lột", "Persons by exploitation type"
    ),
    "P05": _persons(
        "P05",
        "recruitment",
        "Số người theo nguyên nhân, phương thức bị mua bán",
        "Persons by cause / recruitment method",
    ),
    "P06": _persons("P06", "destination", "Số người theo nước đến", "Persons by destination country"),
    "P07": _persons("P07", "reception_type", "Số người theo hình thức tiếp nhận", "Persons by how received"),
    "P08": _persons("P08", "regime", "Số người theo chế độ pháp lý", "Persons by legal regime"),
    "P09": _persons(
        "P09",
        "legal_status",
        "Số người theo tình trạng pháp lý và giới tính",
        "Persons by legal status and sex",
        "sex",
    ),
}
_SERVICE_SECTIONS = {
    "S01": _services("S01", "support_type", "Hỗ trợ, bảo vệ theo loại", "Support and protection by type"),
    "S02": _services("S02", "budget_source", "Kinh phí hỗ trợ theo nguồn", "Support by budget source"),
    "S03": _services(
        "S03", "agency_type", "Hỗ trợ theo cơ quan thực hiện", "Support by providing agency type"
    ),
    "S04": _services("S04", "unit", "Hỗ trợ theo đơn vị hành chính", "Support by administrative unit"),
}

_ESSENTIAL = frozenset({"EssentialNeedsProvided"})
_RECEPTION = Measure(
    "receptions", "Tiếp nhận nạn nhân", "Receptions", events=frozenset({"ReceptionRegistered"})
)
_ESSENTIAL_NEEDS = Measure(
    "essential_needs", "Hỗ trợ nhu cầu thiết yếu", "Essential needs", events=_ESSENTIAL
)
_SHELTER = Measure(
    "temporary_shelter",
    "Bố trí chỗ ở tạm thời",
    "Temporary accommodation",
    events=_ESSENTIAL,
    item_like="shelter",
)
_TRAVEL = Measure("travel_costs", "Chi phí đi lại", "Travel costs", events=frozenset({"TravelCostPaid"}))
_PROTECTION = Measure(
    "protection_measures",
    "Biện pháp bảo vệ an toàn",
    "Protection measures applied",
    events=frozenset({"ProtectionMeasureApplied"}),
)
_VERIFICATIONS = Measure(
    "verifications",
    "Xác minh ban đầu",
    "Initial verifications completed",
    events=frozenset({"InitialVerificationCompleted"}),
)
_SUPPORT_AMOUNT = Measure(
    "amount_vnd",
    "Kinh phí hỗ trợ (đồng)",
    "Support paid (VND)",
    AMOUNT,
    events=frozenset({"EssentialNeedsProvided", "TravelCostPaid"}),
)
POLICE_MEASURES = (
    Measure(
        "nationality_verifications",
        "Xác minh quốc tịch",
        "Nationality verifications",
        events=frozenset({"NationalityVerificationCompleted"}),
    ),
    _RECEPTION,
    _VERIFICATIONS,
    Measure(
        "identifications",
        "Xác định nạn nhân",
        "Victim status determinations",
        events=frozenset({"VictimStatusDetermined"}),
    ),
    Measure(
        "certificates",
        "Cấp giấy xác nhận nạn nhân",
        "Victim certificates issued",
        events=frozenset({"VictimCertificateIssued"}),
    ),
    _ESSENTIAL_NEEDS,
    _SHELTER,
    _TRAVEL,
    _PROTECTION,
    _SUPPORT_AMOUNT,
)
BORDER_MEASURES = (
    Measure("rescues", "Giải cứu", "Rescues", events=frozenset({"RescueCompleted"})),
    Measure(
        "handovers",
        "Tiếp nhận do nước ngoài trao trả",
        "Handovers received from abroad",
        events=frozenset({"VictimHandoverReceived"}),
    ),
    _RECEPTION,
    _VERIFICATIONS,
    _ESSENTIAL_NEEDS,
    _SHELTER,
    _TRAVEL,
    _PROTECTION,
    _SUPPORT_AMOUNT,
)
ABROAD_MEASURES = (
    Measure(
        "victims_abroad",
        "Số người bị mua bán ở nước ngoài (đếm một lần)",
        "Persons trafficked abroad (counted once)",
        COUNT,
        ABROAD_PERSONS,
    ),
    Measure(
        "nationality_requests",
        "Đề nghị xác minh quốc tịch",
        "Nationality verification requests",
        events=frozenset({"NationalityVerificationRequested"}),
    ),
    Measure(
        "nationality_verified",
        "Kết quả xác minh quốc tịch",
        "Nationality verifications completed",
        events=frozenset({"NationalityVerificationCompleted"}),
    ),
    Measure(
        "travel_documents",
        "Cấp giấy tờ về nước",
        "Travel documents issued",
        events=frozenset({"TravelDocumentIssued"}),
    ),
    Measure(
        "repatriations",
        "Chi trả chi phí về nước",
        "Repatriation costs paid",
        events=frozenset({"RepatriationCostPaid"}),
    ),
    Measure(
        "repatriation_vnd",
        "Chi phí về nước (đồng)",
        "Repatriation costs (VND)",
        AMOUNT,
        events=frozenset({"RepatriationCostPaid"}),
    ),
)
TIP_MEASURES = (
    Measure("received", "Tin báo tiếp nhận", "Tips received", COUNT, TIPS, test="received"),
    Measure("forwarded", "Đã chuyển cơ quan chức năng", "Forwarded", COUNT, TIPS, test="forwarded"),
    Measure(
        "acknowledged",
        "Cơ quan nhận đã xác nhận",
        "Acknowledged by the receiver",
        COUNT,
        TIPS,
        test="acknowledged",
    ),
    Measure("outcome", "Đã có kết quả xử lý", "Outcome reported", COUNT, TIPS, test="outcome"),
    Measure(
        "opened",
        "Trong đó: xác minh có căn cứ, lập hồ sơ",
        "Of which verified / case opened",
        COUNT,
        TIPS,
        test="opened",
    ),
    Measure("child", "Trong đó: liên quan trẻ em", "Of which concerning children", COUNT, TIPS, test="child"),
)

# DOMAIN §e rule 6: the courts' and procuracies' annual lists ([S004] §V.8) against the registry. Each
# entry falls in exactly one of the last four columns; "persons" counts each counted person once.
COURT_MEASURES = (
    Measure(
        "entries", "Số lượt người trong danh sách", "Entries on the lists", COUNT, COURT_LISTS, test="entry"
    ),
    Measure("persons", "Số người (đếm một lần)", "Persons (counted once)", COUNT, COURT_LISTS, test="person"),
    Measure(
        "victims",
        "Khớp: đã xác định là nạn nhân",
        "Matched: identified victim",
        COUNT,
        COURT_LISTS,
        test="victim",
    ),
    Measure(
        "not_victims",
        "Có hồ sơ nhưng chưa/không xác định là nạn nhân",
        "In the registry, not an identified victim",
        COUNT,
        COURT_LISTS,
        test="not_victim",
    ),
    Measure(
        "missing", "Không có trong cơ sở dữ liệu", "Not in the registry", COUNT, COURT_LISTS, test="missing"
    ),
    Measure(
        "duplicates",
        "Trùng người đã có trong danh sách",
        "Same person listed again",
        COUNT,
        COURT_LISTS,
        test="duplicate",
    ),
)
INJURED_MEASURES = (
    Measure(
        "injured",
        "Người bị hại trong vụ án hình sự (cơ sở dữ liệu)",
        "Injured parties in criminal cases (registry)",
        COUNT,
        INJURED,
        test="person",
    ),
    Measure("listed", "Có trong danh sách", "On a court/procuracy list", COUNT, INJURED, test="listed"),
    Measure("unlisted", "Không có trong danh sách nào", "On no list", COUNT, INJURED, test="unlisted"),
)
FLAG_MEASURES = (Measure("flag", "Cần đối chiếu", "To reconcile", COUNT, FLAGS),)

_HALF_AND_YEAR = (HALF, YEAR)
_SECOND_SECTION = {"agency": ("Theo cơ quan thực hiện", "By agency"), "month": ("Theo tháng", "By month")}


def _unit_and(measures: tuple[Measure, ...], by: str) -> tuple[Section, Section]:
    """An activity report's two sections: by administrative unit, then by agency or by month."""
    return (
        Section("A01", "Theo đơn vị hành chính", "By administrative unit", ACTIVITIES, "unit", measures),
        Section("A02", *_SECOND_SECTION[by], ACTIVITIES, by, measures),
    )


_ANY_PERIOD = (QUARTER, HALF, YEAR)

KINDS: dict[str, ReportKind] = {
    k.key: k
    for k in (
        ReportKind(
            "commune",
            "Báo cáo tình hình tiếp nhận, hỗ trợ nạn nhân bị mua bán trở về trên địa bàn xã",
            "Commune report: persons received and supported",
            "[S004] §V.10 (định kỳ 3 tháng); [S001] §IV.2; DOMAIN §e",
            (QUARTER, YEAR),
            frozenset({"C"}),
            frozenset({"commune_pc"}) | LEADS,
            "commune_pc",
            None,
            tuple(_PERSON_SECTIONS[s] for s in ("P01", "P02", "P03", "P09", "P07", "P04", "P06"))
            + (_SERVICE_SECTIONS["S01"],),
        ),
        ReportKind(
            "province",
            "Báo cáo kết quả công tác tiếp nhận, bảo vệ và hỗ trợ nạn nhân bị mua bán",
            "Provincial report: reception, protection and support of trafficked persons",
            "[S003] §8 (định kỳ 6 tháng và 1 năm); [S004] §V.10; DOMAIN §e",
            (HALF, YEAR, QUARTER),
            frozenset({"P", "D", "N"}),
            LEADS,
            "provincial_health",
            None,
            tuple(_PERSON_SECTIONS.values()) + tuple(_SERVICE_SECTIONS.values()),
        ),
        ReportKind(
            "police",
            "Báo cáo thống kê công tác xác minh, tiếp nhận, hỗ trợ và bảo vệ nạn nhân của lực lượng Công an",
            "Police report: verifications, receptions, support and protection",
            "[S003] §8; [S004] §V.6 (định kỳ 6 tháng, 1 năm)",
            _HALF_AND_YEAR,
            frozenset({"C", "D", "P", "N"}),
            POLICE | LEADS,
            "provincial_police",
            POLICE,
            _unit_and(POLICE_MEASURES, "agency"),
        ),
        ReportKind(
            "border-guard",
            "Báo cáo thống kê công tác tiếp nhận, hỗ trợ và bảo vệ nạn nhân của Bộ đội Biên phòng",
            "Border Guard report: rescues, handovers, receptions, support and protection",
            "[S003] §8; [S000] §V.3 (định kỳ 6 tháng, 1 năm)",
            _HALF_AND_YEAR,
            frozenset({"P", "N"}),
            frozenset({"border_guard"}) | LEADS,
            "border_guard",
            frozenset({"border_guard"}),
            _unit_and(BORDER_MEASURES, "agency"),
        ),
        ReportKind(
            "ppc-office",
            "Báo cáo thống kê nạn nhân bị mua bán ở nước ngoài và chi phí về nước",
            "Provincial PC office report: victims abroad and repatriation costs",
            "[S003] §8 (Văn phòng UBND tỉnh; định kỳ 6 tháng, 1 năm)",
            _HALF_AND_YEAR,
            frozenset({"P", "N"}),
            frozenset({"foreign_affairs"}) | LEADS,
            "foreign_affairs",
            None,
            _unit_and(ABROAD_MEASURES, "month"),
        ),
        ReportKind(
            "hotline-111",
            "Báo cáo tiếp nhận và xử lý tin báo của Tổng đài 111",
            "Hotline 111 report: tips received, forwarded and acknowledged",
            "Decree 162/2025 Art. 5; [S001] §II.1 (100% tin báo được tiếp nhận và chuyển)",
            _ANY_PERIOD,
            frozenset({"P", "N"}),
            frozenset({"hotline_111"}) | LEADS,
            "hotline_111",
            frozenset({"hotline_111"}),
            (
                Section("T01", "Theo địa bàn xảy ra", "By place", TIPS, "unit", TIP_MEASURES),
                Section("T02", "Theo tháng", "By month", TIPS, "month", TIP_MEASURES),
            ),
        ),
        ReportKind(
            "court-reconciliation",
            "Báo cáo đối chiếu danh sách nạn nhân là người bị hại trong vụ án hình sự với cơ sở dữ liệu",
            "Reconciliation of the courts' and procuracies' annual victim lists with the registry",
            "[S004] §V.8 (Tòa án, Viện kiểm sát báo cáo hằng năm để đối chiếu); DOMAIN §e quy tắc 6",
            (YEAR,),
            frozenset({"P", "N"}),
            LEADS | frozenset({"court", "procuracy"}),
            "provincial_health",
            None,
            (
                Section(
                    "R01",
                    "Đối chiếu theo danh sách",
                    "By list-submitting agency",
                    COURT_LISTS,
                    "agency",
                    COURT_MEASURES,
                ),
                Section(
                    "R02",
                    "Người bị hại trong cơ sở dữ liệu so với danh sách",
                    "Injured parties in the registry against the lists",
                    INJURED,
                    "unit",
                    INJURED_MEASURES,
                ),
                Section(
                    "R03",
                    "Các trường hợp cần đối chiếu",
                    "Entries to reconcile",
                    FLAGS,
                    "flag",
                    FLAG_MEASURES,
                ),
            ),
            publishable=False,
        ),
    )
}


def kinds_for(agency_type: str) -> list[ReportKind]:
    """The reports an agency of this type may produce (within its jurisdiction)."""
    return [k for k in KINDS.values() if agency_type in k.producers]
