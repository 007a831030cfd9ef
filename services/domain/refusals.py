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
        "Sự kiện {event_type} đòi hỏi tình trạng {required}, nhưng người này đang ở tình trạng {status}.",
        "{event_type} requires status {required}, but the person's status is {status}.",
    ),
    "not_entitled": (
        "Người có tình trạng {status} không thuộc diện được hỗ trợ ({event_type}).",
        "A person with status {status} is not entitled to support ({event_type}).",
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
        "Đơn vị {emitter} ({agency_type}) không có thẩm quyền ghi sự kiện {event_type}.",
        "Agency {emitter} ({agency_type}) has no mandate to record {event_type}.",
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
        expected_version=facts.get("expected"),  # type: ignore[arg-type]
        actual_version=facts.get("actual"),  # type: ignore[arg-type]
    )


def refusal_codes() -> frozenset[str]:
    return frozenset(_TEXT)


class _Lenient(dict):
    def __missing__(self, key: str) -> str:
        return "?"
