"""Report files: JSON (the report as computed), CSV (UTF-8 with BOM, so Excel reads the diacritics) and
.xlsx laid out like an official Vietnamese statistical table (Nghị định 30/2020/NĐ-CP title block).

Every file carries the log position, the computing time and the content hash of the report it shows.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from lienthong import places

FORMATS = ("json", "csv", "xlsx")
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
NATION_VI = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_VI = "Độc lập - Tự do - Hạnh phúc"
TOTAL_VI, TOTAL_EN = "Tổng cộng", "Total"
LOG_POSITION_LABEL = "Vị trí nhật ký (điểm kiểm của bộ chiếu) / Log position (projector checkpoints)"
COMPUTED_AT_LABEL = "Thời điểm tính / Computed at"
HASH_LABEL = "Mã băm nội dung SHA-256 / Content hash (SHA-256)"
GROUP_BY_TEXT = {
    "today": ("đơn vị hành chính hiện nay (từ 01/07/2025)", "today's administrative units"),
    "time": ("đơn vị hành chính tại thời điểm phát sinh", "administrative units of the time"),
}


def file_name(report: dict[str, Any], fmt: str) -> str:
    unit = report["unit"]["code"].replace(":", "")
    return f"bao-cao_{report['kind']}_{unit}_{report['period']['code']}_{report['content_hash'][:12]}.{fmt}"


def render(report: dict[str, Any], fmt: str) -> bytes:
    if fmt == "json":
        return to_json(report)
    if fmt == "csv":
        return to_csv(report)
    if fmt == "xlsx":
        return to_xlsx(report)
    raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")


def to_json(report: dict[str, Any]) -> bytes:
    return json.dumps(report, ensure_ascii=False, indent=1).encode("utf-8")


def log_position_text(report: dict[str, Any]) -> str:
    return "; ".join(f"{source}={offset}" for source, offset in report["log_position"].items()) or "(empty)"


# --- CSV ------------------------------------------------------------------------------------------------


def to_csv(report: dict[str, Any]) -> bytes:
    """Metadata lines, then each table: a `section` line, a header line ("vi / en"), its rows with the
    row key in the second column, and the total line."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    period, unit = report["period"], report["unit"]
    w.writerow(["report", report["kind"], report["title_vi"], report["title_en"]])
    w.writerow(["period", period["code"], period["label_vi"], period["label_en"]])
    w.writerow(["unit", unit["code"], unit["name_vi"], unit["name_en"]])
    w.writerow(["group_by", report["group_by"]])
    w.writerow(["suppression_k", report["suppression_k"] if report["suppression_k"] else ""])
    w.writerow(["log_position", log_position_text(report)])
    w.writerow(["computed_at", report["computed_at"]])
    w.writerow(["content_hash", report["content_hash"]])
    for section in report["sections"]:
        w.writerow([])
        w.writerow(["section", section["id"], section["title_vi"], section["title_en"]])
        w.writerow(
            ["STT / No.", "Mã / Code", f"{section['row_header_vi']} / {section['row_header_en']}"]
            + [f"{c['vi']} / {c['en']}" for c in section["columns"]]
        )
        for n, row in enumerate(section["rows"], start=1):
            w.writerow([n, row["key"], row["label_vi"], *row["values"]])
        w.writerow(["", "", f"{TOTAL_VI} / {TOTAL_EN}", *section["total"]])
    return out.getvalue().encode("utf-8-sig")


# --- XLSX -----------------------------------------------------------------------------------------------

_THIN = Side(style="thin", color="000000")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
_FONT = "Times New Roman"
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_RIGHT = Alignment(horizontal="right", vertical="center")


def _font(size: int = 12, bold: bool = False, italic: bool = False, underline: str | None = None) -> Font:
    return Font(name=_FONT, size=size, bold=bold, italic=italic, underline=underline)


def _short_place(code: str | None) -> str:
    found = (
        places.lookup(places.current_province_of(code) or "") if code and code != places.NATIONAL else None
    )
    if found is None:
        return "Hà Nội"
    name = found.name
    for prefix in ("Thành phố ", "Tỉnh "):
        name = name.removeprefix(prefix)
    return name


def _superior(issuer: dict[str, Any] | None, jurisdiction: str | None) -> str:
    """The governing body printed above the issuer's name (left of the national title)."""
    if issuer is None:
        return ""
    kind = issuer["type"]
    province = places.lookup(places.current_province_of(jurisdiction or "") or "")
    province_name = province.name.upper() if province else ""
    if kind == "provincial_police":
        return "BỘ CÔNG AN"
    if kind in ("commune_police", "district_police"):
        return f"CÔNG AN {province_name}".strip()
    if kind in ("border_guard", "coast_guard"):
        return "BỘ QUỐC PHÒNG"
    if kind == "hotline_111":
        return ""
    if kind == "commune_pc":
        return province_name
    return f"ỦY BAN NHÂN DÂN {province_name}".strip()


def _merged(ws: Worksheet, row: int, first: int, last: int, value: Any, font: Font, align=_CENTER) -> None:
    if last > first:
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
    cell = ws.cell(row=row, column=first, value=value)
    cell.font, cell.alignment = font, align


def to_xlsx(report: dict[str, Any]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for section in report["sections"]:
        _sheet(wb.create_sheet(title=f"Bieu {section['id']}"), report, section)
    wb.properties.title = report["title_vi"]
    wb.properties.subject = f"{report['kind']} {report['period']['code']} {report['unit']['code']}"
    wb.properties.creator = "lienthong"
    wb.properties.keywords = report["content_hash"]
    wb.properties.description = (
        f"log position: {log_position_text(report)}; computed at {report['computed_at']}"
    )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _sheet(ws: Worksheet, report: dict[str, Any], section: dict[str, Any]) -> None:
    columns = section["columns"]
    ncols = 3 + len(columns)
    width = max(ncols, 7)
    issuer = report.get("issuer")
    where = issuer["jurisdiction"] if issuer else report["unit"]["code"]
    computed = datetime.fromisoformat(report["computed_at"])
    # Title block (Decree 30/2020/NĐ-CP layout): issuing body left, national title right.
    _merged(ws, 1, 1, 3, _superior(issuer, where), _font(12))
    _merged(ws, 1, 4, width, NATION_VI, _font(12, bold=True))
    _merged(ws, 2, 1, 3, (issuer["name_vi"] if issuer else "").upper(), _font(12, bold=True))
    _merged(ws, 2, 4, width, MOTTO_VI, _font(13, bold=True, underline="single"))
    code = issuer["code"] if issuer else "…"
    _merged(ws, 3, 1, 3, f"Số: ……/BC-{code}", _font(12))
    date_line = f"{_short_place(where)}, ngày {computed:%d} tháng {computed:%m} năm {computed:%Y}"
    _merged(ws, 3, 4, width, date_line, _font(12, italic=True))
    _merged(ws, 5, 1, width, report["title_vi"].upper(), _font(14, bold=True))
    ws.row_dimensions[5].height = 40
    _merged(ws, 6, 1, width, report["title_en"], _font(12, italic=True))
    period, unit = report["period"], report["unit"]
    start, end = (datetime.fromisoformat(period[k]) for k in ("start", "end"))
    _merged(
        ws,
        7,
        1,
        width,
        f"Kỳ báo cáo: {period['label_vi']} (từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y})"
        f" — Period: {period['label_en']} ({period['code']})",
        _font(12),
    )
    _merged(
        ws, 8, 1, width, f"Địa bàn: {unit['name_vi']} ({unit['code']}) — Area: {unit['name_en']}", _font(12)
    )
    grouped_vi, grouped_en = GROUP_BY_TEXT[report["group_by"]]
    _merged(ws, 9, 1, width, f"Tổng hợp theo {grouped_vi} — grouped by {grouped_en}", _font(11, italic=True))
    _merged(ws, 11, 1, width, f"Biểu số {section['id']}: {section['title_vi']}", _font(12, bold=True), _LEFT)
    _merged(ws, 12, 1, width, f"Table {section['id']}: {section['title_en']}", _font(11, italic=True), _LEFT)
    # The table: Vietnamese headers, English beneath, then the column numbers (A, B, C, 1, 2, …).
    header_vi = ["STT", "Mã", section["row_header_vi"]] + [c["vi"] for c in columns]
    header_en = ["No.", "Code", section["row_header_en"]] + [c["en"] for c in columns]
    numbers = ["A", "B", "C"] + [f"({n})" for n in range(1, len(columns) + 1)]
    first = 13
    for offset, (values, font) in enumerate(
        (
            (header_vi, _font(11, bold=True)),
            (header_en, _font(10, italic=True)),
            (numbers, _font(10, italic=True)),
        )
    ):
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=first + offset, column=col, value=value)
            cell.font, cell.alignment, cell.border = font, _CENTER, _BOX
            if offset < 2:
                cell.fill = _HEADER_FILL
    row_no = first + 3
    for n, row in enumerate(section["rows"], start=1):
        label = (
            row["label_vi"] if row["label_vi"] == row["label_en"] else f"{row['label_vi']}\n{row['label_en']}"
        )
        _table_row(ws, row_no, [n, row["key"], label], row["values"], _font(11))
        row_no += 1
    _table_row(ws, row_no, ["", "", f"{TOTAL_VI} / {TOTAL_EN}"], section["total"], _font(11, bold=True))
    for col in range(1, ncols + 1):
        ws.cell(row=row_no, column=col).fill = _TOTAL_FILL
    # Footer: the rules, suppression, then what makes the report reproducible.
    row_no += 2
    _merged(ws, row_no, 1, width, "Ghi chú / Notes:", _font(11, bold=True), _LEFT)
    notes = [*report["notes_vi"], *report["notes_en"]]
    if report["suppression_k"]:
        k = report["suppression_k"]
        notes.append(
            f"Ô có giá trị từ 1 đến {k - 1} được ẩn (<{k}); ô 'x' ẩn bổ sung để không suy ra được ô đã ẩn. "
            f"Cells of 1 to {k - 1} are shown as <{k}; 'x' marks cells hidden so that hidden ones cannot "
            "be derived."
        )
    notes.append(f"Căn cứ / Basis: {report['basis']}")
    for note in notes:
        row_no += 1
        _merged(ws, row_no, 1, width, note, _font(10, italic=True), _LEFT)
        ws.row_dimensions[row_no].height = 30
    row_no += 2
    for label, value in (
        (LOG_POSITION_LABEL, log_position_text(report)),
        (COMPUTED_AT_LABEL, report["computed_at"]),
        (HASH_LABEL, report["content_hash"]),
        ("Định dạng / Format", f"{report['format']}; {report['kind']} v{report['kind_version']}"),
    ):
        _merged(ws, row_no, 1, width, f"{label}: {value}", _font(10), _LEFT)
        row_no += 1
    row_no += 1
    _merged(ws, row_no, 1, 3, "NGƯỜI LẬP BIỂU", _font(12, bold=True))
    _merged(ws, row_no, 4, width, "THỦ TRƯỞNG ĐƠN VỊ", _font(12, bold=True))
    _merged(ws, row_no + 1, 1, 3, "(Ký, ghi rõ họ tên)", _font(11, italic=True))
    _merged(ws, row_no + 1, 4, width, "(Ký, ghi rõ họ tên, đóng dấu)", _font(11, italic=True))
    # Presentation.
    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 12
    ws.column_dimensions["C"].width = 42
    for col in range(4, width + 1):
        ws.column_dimensions[get_column_letter(col)].width = 16
    ws.row_dimensions[first].height = 48
    ws.freeze_panes = ws.cell(row=first + 3, column=4)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _table_row(ws: Worksheet, row: int, lead: list[Any], values: list[Any], font: Font) -> None:
    for col, value in enumerate(lead, start=1):
        cell = ws.cell(row=row, column=col, value=value)
        cell.font, cell.border = font, _BOX
        cell.alignment = _LEFT if col == 3 else _CENTER
    for offset, value in enumerate(values):
        cell = ws.cell(row=row, column=4 + offset, value=value)
        cell.font, cell.border, cell.alignment = font, _BOX, _RIGHT
        if isinstance(value, int):
            cell.number_format = "#,##0"  # counts and VND amounts alike: no decimals
