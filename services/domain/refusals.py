"""The refusal catalogue: one code per rule, with the text an officer reads (Vietnamese, then English)."""

from __future__ import annotations

from lienthong.domain.model import Refusal

_TEXT: dict[str, tuple[str, str]] = {
    "stale_version": (
        "Hồ sơ đã được cập nhật (phiên bản {actual}) sau phiên bản {expected} mà đơn vị dựa vào; "
        "hãy tải lại hồ sơ rồi gửi lại.",
        "The case has changed (now version {actual}) since version {expected} that this submission "
        "was based on; reload the case and resubmit.",
    ),
    "case_not_found": (
        "Chưa có hồ sơ {case_id}; sự kiện {event_type} không thể mở hồ sơ mới.",
        "Case {case_id} does not exist; a {event_type} event cannot open a new case.",
    ),
    "case_exists": (
        "Hồ sơ {case_id} đã tồn tại; sự kiện {event_type} chỉ dùng để mở hồ sơ mới.",
        "Case {case_id} already exists; {event_type} can only open a new case.",
    ),
    "case_closed": (
        "Hồ sơ đã đóng; không nhận thêm sự kiện {event_type} cho đến khi hồ sơ được mở lại.",
        "The case is closed; it accepts no {event_type} until it is reopened.",
    ),
    "no_person": (
        "Hồ sơ chỉ có tin báo, chưa có người được tiếp nhận hoặc trình báo; chưa thể ghi {event_type}.",
        "The case holds only a tip, no person reported or received yet; {event_type} cannot be recorded.",
    ),
    "wrong_status": (
        "Sự kiện {event_type} đòi hỏi tình trạng {required_vi}, nhưng người này đang ở tình trạng {status_vi}.",
        "{event_type} requires status {required_en}, but the person's status is {status_en}.",
    ),
    "not_entitled": (
        "Người có tình trạng {status_vi} không thuộc diện được hưởng {support_type} theo chế độ {regime} "
        "vào ngày {on}.",
        "A person with status {status_en} is not entitled to {support_type} under {regime} on {on}.",
    ),
    "unknown_referral": (
        "Không tìm thấy yêu cầu chuyển tuyến {referral_id} đang chờ trong hồ sơ này.",
        "No pending referral {referral_id} exists in this case.",
    ),
    "referral_not_addressed_to_emitter": (
        "Yêu cầu chuyển tuyến {referral_id} gửi tới {to_agency}, không phải đơn vị {emitter}.",
        "Referral {referral_id} is addressed to {to_agency}, not to {emitter}.",
    ),
    "unknown_event_type": (
        "Loại sự kiện {event_type} không có trong danh mục hợp đồng dữ liệu.",
        "Event type {event_type} is not in the contract catalogue.",
    ),
    "invalid_field": (
        "Trường {field} không hợp lệ: {rule}.",
        "Field {field} is invalid: {rule}.",
    ),
    "unknown_agency": (
        "Đơn vị {emitter} chưa được đăng ký trong danh mục cơ quan.",
        "Agency {emitter} is not in the agency registry.",
    ),
    "outside_mandate": (
        "Đơn vị {emitter} ({agency_type}, cấp {level}) không có thẩm quyền ghi sự kiện {event_type} vào ngày {on}.",
        "Agency {emitter} ({agency_type}, level {level}) has no mandate to record {event_type} on {on}.",
    ),
    "agency_inactive": (
        "Đơn vị {emitter} không hoạt động vào ngày {on}{successor_vi}.",
        "Agency {emitter} was not active on {on}{successor_en}.",
    ),
    "outside_jurisdiction": (
        "Địa bàn {unit} nằm ngoài thẩm quyền của {emitter} ({scope}; căn cứ {legal_basis}).",
        "Unit {unit} is outside {emitter}'s jurisdiction ({scope}; basis {legal_basis}).",
    ),
    "unknown_person": (
        "Người {person} không có trong hồ sơ này.",
        "Person {person} is not part of this case.",
    ),
    "entitlement_expired": (
        "Thời hạn hưởng {support_type} đã hết ({max_days} ngày kể từ {since}; căn cứ {legal_basis}).",
        "The {support_type} entitlement has ended ({max_days} days from {since}; basis {legal_basis}).",
    ),
    "requirement_missing": (
        "Chế độ {support_type} chỉ dành cho người {requirement_vi} (căn cứ {legal_basis}).",
        "{support_type} requires the person to be {requirement_en} (basis {legal_basis}).",
    ),
    "already_paid_once": (
        "Khoản hỗ trợ một lần {support_type} đã được chi trả cho người này.",
        "The one-off {support_type} support has already been paid to this person.",
    ),
    "already_paid_under_merge": (
        "Khoản hỗ trợ một lần {support_type} đã được chi trả ngày {paid_on} cho {merged_person} (hồ sơ {paid_case}), nay đã hợp nhất vào người này theo {merge_id} ({field}; quy tắc: mỗi người chỉ hưởng một lần, kể cả sau hợp nhất; căn cứ {legal_basis}).",
        "The one-off {support_type} support was paid on {paid_on} to {merged_person} (case {paid_case}), merged into this person by {merge_id} ({field}; rule: once per person, merges included; basis {legal_basis}).",
    ),
    "person_merged_away": (
        "Người {person} đã được hợp nhất vào {surviving} theo {merge_id}; không ghi nhận hỗ trợ cho mã này cho đến khi huỷ hợp nhất ({field}; quy tắc: hỗ trợ ghi cho người được giữ lại).",
        "Person {person} was merged into {surviving} by {merge_id}; no support is recorded under this ref until the merge is undone ({field}; rule: support goes to the surviving person).",
    ),
    "merge_one_offs_incomplete": (
        "Hợp nhất {merge_id} không kê khoản hỗ trợ một lần {support_type} đã chi ngày {paid_on} cho {person} trong hồ sơ này ({field}; quy tắc: hợp nhất phải mang theo mọi khoản một lần đã chi).",
        "Merge {merge_id} leaves out the one-off {support_type} paid on {paid_on} to {person} in this case ({field}; rule: a merge carries every one-off already paid).",
    ),
    "missing_rate_ref": (
        "Chưa ghi bảng định mức ({field}); định mức {support_type} có hiệu lực ngày {on}: {expected_tables}; hoặc cần quyết định ngoại lệ đã duyệt.",
        "No rate table given ({field}); {support_type} rates in force on {on}: {expected_tables}; or an approved exception is needed.",
    ),
    "item_not_in_rate_table": (
        "Mục {item} ({field}) không có trong bảng định mức {rate_table_id} của {support_type} ngày {on}; cần quyết định ngoại lệ đã duyệt.",
        "Item {item} ({field}) is not priced in rate table {rate_table_id} for {support_type} on {on}; an approved exception is needed.",
    ),
    "support_refused_by_person": (
        "Người này đã từ chối hỗ trợ {support_type}; không thể ghi nhận hỗ trợ đó.",
        "The person refused {support_type} support; it cannot be recorded.",
    ),
    "no_rate_in_force": (
        "Tỉnh {province} chưa có định mức {support_type} có hiệu lực ngày {on}; cần quyết định ngoại lệ đã duyệt.",
        "Province {province} has no {support_type} rate in force on {on}; an approved exception is needed.",
    ),
    "wrong_rate_table": (
        "Bảng định mức {rate_table_id} không có hiệu lực cho {support_type} ngày {on}; bảng đúng: {expected_tables}.",
        "Rate table {rate_table_id} is not in force for {support_type} on {on}; in force: {expected_tables}.",
    ),
    "rate_mismatch": (
        "Số tiền {amount} đồng không khớp định mức {rate_table_id} ({expected_amount}); cần quyết định ngoại lệ đã duyệt.",
        "Amount {amount} VND does not match rate table {rate_table_id} ({expected_amount}); an approved exception is needed.",
    ),
    "no_consent": (
        "Chuyển tuyến tới {to_agency} cần sự đồng ý còn hiệu lực của người được hỗ trợ hoặc căn cứ pháp lý được ghi nhận.",
        "A referral to {to_agency} needs the person's valid consent or a recorded lawful basis.",
    ),
    "wrong_stream": (
        "Sự kiện {event_type} không thuộc loại hồ sơ này.",
        "{event_type} does not belong on this kind of record.",
    ),
    "not_closed": (
        "Hồ sơ đang mở; không thể mở lại.",
        "The case is open; it cannot be reopened.",
    ),
    "workflow_state": (
        "{what} {ref} đang ở trạng thái {state}; không thể ghi {event_type}.",
        "{what} {ref} is {state}; {event_type} cannot be recorded.",
    ),
    "duplicate_id": (
        "Mã {ref} đã được dùng trong hồ sơ này.",
        "Id {ref} is already used in this case.",
    ),
    "unknown_event_ref": (
        "Sự kiện {ref} không thuộc hồ sơ này.",
        "Event {ref} is not part of this case.",
    ),
    "personal_field_correction": (
        "Trường {field} là dữ liệu cá nhân: phải sửa bằng dữ liệu đã mã hoá (sealed_corrections).",
        "Field {field} is personal data: correct it through sealed_corrections.",
    ),
    "not_a_minor": (
        "Người đi cùng sinh năm {birth_year} không dưới 18 tuổi vào ngày {on}.",
        "The accompanying person born in {birth_year} is not under 18 on {on}.",
    ),
}


def refuse(code: str, field: str | None = None, **facts: object) -> Refusal:
    """Build a refusal for `code`, filling its sentences with the facts of this submission."""
    vi, en = _TEXT[code]
    facts.setdefault("field", field)
    return Refusal(
        code=code,
        field=field,
        message_vi=vi.format_map(_Lenient(facts)),
        message_en=en.format_map(_Lenient(facts)),
        expected_version=_int_or_none(facts.get("expected")),
        actual_version=_int_or_none(facts.get("actual")),
    )


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def refusal_codes() -> frozenset[str]:
    return frozenset(_TEXT)


class _Lenient(dict):
    def __missing__(self, key: str) -> str:
        return "?"
