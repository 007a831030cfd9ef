"""The statistical dimensions of DOMAIN §e and their categories, with Vietnamese and English labels.

A dimension has fixed categories, always shown in their order (zeros included, as in an official form),
and may be open: other values that occur are added after them, sorted, labelled by their code unless a
label is known. UNKNOWN ("không rõ") comes last and only when it occurs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

UNKNOWN = "unknown"
MULTIPLE = "multiple"
NOT_RECEIVED = "not_received"


@dataclass(frozen=True, slots=True)
class Dimension:
    key: str
    vi: str
    en: str
    fixed: tuple[tuple[str, str, str], ...] = ()  # (key, vi, en), always shown
    open: bool = False  # other values may occur
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)  # known labels of open values

    def label(self, key: str) -> tuple[str, str]:
        for k, vi, en in self.fixed:
            if k == key:
                return vi, en
        if key == UNKNOWN:
            return "Không rõ / chưa xác định", "Unknown / not determined"
        return self.labels.get(key, (key, key))

    def order(self, present: set[str]) -> list[str]:
        """The row keys to show: the fixed ones, then other present values sorted, then UNKNOWN."""
        fixed = [k for k, _, _ in self.fixed]
        others = sorted(k for k in present if k not in fixed and k != UNKNOWN)
        tail = [UNKNOWN] if UNKNOWN in present and UNKNOWN not in fixed else []
        return fixed + others + tail


# --- age -----------------------------------------------------------------------------------------------

# (key, lowest age, highest age or None). Under 16 is a child (Law on Children 2016 Art. 1); 16-17 are
# minors; under 18 counts as trafficked without force or deception (Law 53/2024 Art. 2(1)).
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0-15", 0, 15),
    ("16-17", 16, 17),
    ("18-29", 18, 29),
    ("30-44", 30, 44),
    ("45+", 45, None),
)
MAX_AGE = 120


def age_on(birth_year: int | None, on: date) -> int | None:
    """Age in years at `on` when only the birth year is recorded: the age reached during that calendar
    year (on.year - birth_year). Within one calendar year (every Q/H/FY period) it is the same on any
    reference date, so the age at reception and the age at the end of the period coincide."""
    if birth_year is None:
        return None
    age = on.year - birth_year
    return age if 0 <= age <= MAX_AGE else None


def age_group(birth_year: int | None, on: date) -> str:
    age = age_on(birth_year, on)
    if age is None:
        return UNKNOWN
    for key, low, high in AGE_BANDS:
        if age >= low and (high is None or age <= high):
            return key
    return UNKNOWN  # pragma: no cover - the bands cover 0..MAX_AGE


# --- dimensions ----------------------------------------------------------------------------------------

SEX = Dimension(
    "sex",
    "Giới tính",
    "Sex",
    (("female", "Nữ", "Female"), ("male", "Nam", "Male"), ("other", "Khác", "Other")),
)
AGE = Dimension(
    "age_group",
    "Nhóm tuổi",
    "Age group",
    (
        ("0-15", "Dưới 16 tuổi", "Under 16"),
        ("16-17", "Từ đủ 16 đến dưới 18 tuổi", "16-17"),
        ("18-29", "Từ 18 đến 29 tuổi", "18-29"),
        ("30-44", "Từ 30 đến 44 tuổi", "30-44"),
        ("45+", "Từ 45 tuổi trở lên", "45 and over"),
    ),
)
VICTIM, IN_IDENTIFICATION, ACCOMPANYING_MINOR, NOT_A_VICTIM = (
    "victim",
    "in_identification",
    "accompanying_minor",
    "not_a_victim",
)
LEGAL_STATUS = Dimension(
    "legal_status",
    "Tình trạng pháp lý",
    "Legal status",
    (
        (VICTIM, "Nạn nhân", "Victims"),
        (IN_IDENTIFICATION, "Đang trong quá trình xác định là nạn nhân", "In identification"),
        (ACCOMPANYING_MINOR, "Người dưới 18 tuổi đi cùng", "Accompanying under-18s"),
        (NOT_A_VICTIM, "Không phải nạn nhân", "Not a victim"),
    ),
)
EXPLOITATION = Dimension(
    "exploitation",
    "Hình thức bóc lột",
    "Exploitation type",
    (
        ("sexual", "Bóc lột tình dục", "Sexual exploitation"),
        ("labour", "Cưỡng bức lao động", "Forced labour"),
        ("forced_marriage", "Cưỡng ép kết hôn", "Forced marriage"),
        ("organ_removal", "Lấy bộ phận cơ thể", "Organ removal"),
        (MULTIPLE, "Nhiều hình thức", "Several forms"),
    ),
    open=True,
    labels={
        "surrogacy": ("Mang thai hộ vì mục đích thương mại", "Commercial surrogacy"),
        "forced_criminality": ("Cưỡng ép phạm tội", "Forced criminality"),
        "begging": ("Cưỡng ép ăn xin", "Forced begging"),
        "child_sale": ("Mua bán trẻ em / nhận con nuôi trái phép", "Sale of children"),
        "online_scam": ("Cưỡng ép lừa đảo trực tuyến", "Forced online scamming"),
        "other": ("Khác", "Other"),
    },
)
RECRUITMENT = Dimension(
    "recruitment",
    "Nguyên nhân, phương thức bị mua bán",
    "Cause / recruitment method",
    open=True,
    labels={
        "job_offer": ("Lừa giới thiệu việc làm", "Deceptive job offer"),
        "false_job_offer": ("Lừa giới thiệu việc làm", "Deceptive job offer"),
        "marriage": ("Lừa kết hôn, hẹn hò", "Marriage or dating deception"),
        "marriage_offer": ("Lừa kết hôn", "Deceptive marriage offer"),
        "online_contact": ("Làm quen qua mạng", "Contact made online"),
        "relative": ("Người thân, họ hàng", "A relative"),
        "romance": ("Lừa yêu đương, hẹn hò", "Romance deception"),
        "online": ("Làm quen qua mạng xã hội", "Met online"),
        "social_media": ("Làm quen qua mạng xã hội", "Met through social media"),
        "abduction": ("Bắt cóc", "Abduction"),
        "acquaintance": ("Người quen dụ dỗ", "Lured by an acquaintance"),
        "family": ("Người thân", "Family member"),
        "debt_bondage": ("Cầm cố, nợ", "Debt bondage"),
        "other": ("Khác", "Other"),
    },
)
COUNTRIES: dict[str, tuple[str, str]] = {
    "VN": ("Trong nước", "Within Viet Nam"),
    "CN": ("Trung Quốc", "China"),
    "KH": ("Campuchia", "Cambodia"),
    "LA": ("Lào", "Laos"),
    "MM": ("Myanmar", "Myanmar"),
    "TH": ("Thái Lan", "Thailand"),
    "MY": ("Malaysia", "Malaysia"),
    "SG": ("Singapore", "Singapore"),
    "ID": ("Indonesia", "Indonesia"),
    "PH": ("Philippines", "Philippines"),
    "KR": ("Hàn Quốc", "Republic of Korea"),
    "JP": ("Nhật Bản", "Japan"),
    "TW": ("Đài Loan (Trung Quốc)", "Taiwan (China)"),
    "AE": ("Các Tiểu vương quốc Ả Rập Thống nhất", "United Arab Emirates"),
    "SA": ("Ả Rập Xê Út", "Saudi Arabia"),
    "RU": ("Liên bang Nga", "Russian Federation"),
    "GB": ("Vương quốc Anh", "United Kingdom"),
    "DE": ("Đức", "Germany"),
}
DESTINATION = Dimension(
    "destination", "Nước đến (nơi bị bóc lột)", "Destination country", open=True, labels=COUNTRIES
)
RECEPTION_TYPE = Dimension(
    "reception_type",
    "Hình thức tiếp nhận",
    "How received",
    (
        ("self_return", "Tự trở về", "Returned on their own"),
        ("rescued", "Được giải cứu", "Rescued"),
        ("handed_over", "Được nước ngoài trao trả", "Handed over by a foreign authority"),
        ("referred", "Được chuyển đến", "Referred"),
        ("other", "Khác", "Other"),
        (NOT_RECEIVED, "Chưa đăng ký tiếp nhận", "No reception registered"),
    ),
)
REGIME = Dimension(
    "regime",
    "Chế độ pháp lý áp dụng",
    "Legal regime",
    (
        ("L2011", "Luật 66/2011/QH12", "Law 66/2011"),
        ("L2024", "Luật 53/2024/QH15 (sửa đổi 2025)", "Law 53/2024 (amended 2025)"),
    ),
)
SUPPORT_TYPE = Dimension(
    "support_type",
    "Loại hỗ trợ",
    "Support type",
    (
        ("essential_needs", "Hỗ trợ nhu cầu thiết yếu", "Essential needs"),
        ("essential_needs_abroad", "Nhu cầu thiết yếu ở nước ngoài", "Essential needs abroad"),
        ("travel_home", "Chi phí đi lại về nơi cư trú", "Travel home"),
        ("repatriation", "Chi phí về nước", "Repatriation"),
        ("medical", "Y tế", "Medical care"),
        ("health_insurance_first_year", "Bảo hiểm y tế năm đầu", "First-year health insurance"),
        ("counselling", "Tư vấn tâm lý", "Psychological counselling"),
        ("legal_aid", "Trợ giúp pháp lý", "Legal aid"),
        ("cultural_study", "Hỗ trợ học văn hóa", "Cultural study"),
        ("vocational_training", "Hỗ trợ học nghề", "Vocational training"),
        ("initial_hardship", "Trợ cấp khó khăn ban đầu", "Initial hardship allowance"),
        ("employment_counselling", "Tư vấn việc làm", "Employment counselling"),
        ("loan", "Vay vốn", "Loans"),
        ("facility_shelter", "Tiếp nhận vào cơ sở (chỗ ở tạm thời)", "Admitted to a facility (shelter)"),
        ("protection", "Biện pháp bảo vệ", "Protection measures"),
    ),
    open=True,
)
BUDGET_SOURCE = Dimension(
    "budget_source",
    "Nguồn kinh phí",
    "Budget source",
    open=True,
    labels={
        "state_budget": ("Ngân sách nhà nước", "State budget"),
        "central_budget": ("Ngân sách trung ương", "Central budget"),
        "provincial_budget": ("Ngân sách tỉnh", "Provincial budget"),
        "commune_budget": ("Ngân sách xã", "Commune budget"),
        "local_budget": ("Ngân sách địa phương", "Local budget"),
        "citizen_protection_fund": ("Quỹ bảo hộ công dân", "Citizen Protection Fund"),
        "donation": ("Tài trợ, viện trợ", "Donations"),
        "other": ("Nguồn khác", "Other"),
    },
)
AGENCY_TYPES: dict[str, tuple[str, str]] = {
    "commune_pc": ("UBND cấp xã", "Commune People's Committee"),
    "commune_police": ("Công an cấp xã", "Commune police"),
    "district_police": ("Công an cấp huyện", "District police"),
    "district_labour": ("Phòng LĐTBXH cấp huyện", "District labour office"),
    "provincial_labour": ("Sở LĐTBXH", "DOLISA"),
    "provincial_health": ("Sở Y tế", "Department of Health"),
    "provincial_police": ("Công an tỉnh", "Provincial police"),
    "border_guard": ("Bộ đội Biên phòng", "Border Guard"),
    "coast_guard": ("Cảnh sát biển", "Coast Guard"),
    "social_facility": ("Cơ sở trợ giúp xã hội", "Social support facility"),
    "health_facility": ("Cơ sở y tế", "Health facility"),
    "legal_aid": ("Trung tâm trợ giúp pháp lý", "Legal aid centre"),
    "education": ("Ngành giáo dục", "Education"),
    "foreign_affairs": ("Văn phòng UBND tỉnh", "Provincial PC office"),
    "mission": ("Cơ quan đại diện ở nước ngoài", "Mission abroad"),
    "womens_union": ("Hội Liên hiệp Phụ nữ", "Women's Union"),
    "hotline_111": ("Tổng đài 111", "Hotline 111"),
    "employment_centre": ("Trung tâm dịch vụ việc làm", "Employment centre"),
    "vbsp": ("Ngân hàng Chính sách xã hội", "Bank for Social Policies"),
}
AGENCY_TYPE = Dimension(
    "agency_type", "Loại cơ quan thực hiện", "Agency type", open=True, labels=AGENCY_TYPES
)

# Dimensions whose labels come from the registry or the map at report time.
UNIT = Dimension("unit", "Đơn vị hành chính", "Administrative unit", open=True)
AGENCY = Dimension("agency", "Cơ quan", "Agency", open=True)
MONTH = Dimension("month", "Tháng", "Month", open=True)
FLAG = Dimension("flag", "Trường hợp (mã giả danh)", "Entry (pseudonymous ref)", open=True)

DIMENSIONS: dict[str, Dimension] = {
    d.key: d
    for d in (
        SEX,
        AGE,
        LEGAL_STATUS,
        EXPLOITATION,
        RECRUITMENT,
        DESTINATION,
        RECEPTION_TYPE,
        REGIME,
        SUPPORT_TYPE,
        BUDGET_SOURCE,
        AGENCY_TYPE,
        UNIT,
        AGENCY,
        MONTH,
        FLAG,
    )
}


def primary_exploitation(types: list[str]) -> str:
    """One category per person so rows add up: the single form, MULTIPLE for several, else UNKNOWN."""
    distinct = sorted(set(types))
    if not distinct:
        return UNKNOWN
    return distinct[0] if len(distinct) == 1 else MULTIPLE
