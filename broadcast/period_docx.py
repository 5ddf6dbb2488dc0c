"""The periodic report as a DOCX laid out under Nghị định 30/2020/NĐ-CP (python-docx).

Layout (Phụ lục I of the decree): a borderless two-column head — left the body above (cơ quan chủ
quản, upper case) and the issuing body (bold, upper case) over its number and symbol; right the
national title (bold, upper case) over the motto (bold, with a rule under it) and, below, the place
and date (italic). Then the kind of document and its summary (bold, centred), the body, and at the
foot the recipients (left: "Nơi nhận:" bold italic, 11 pt entries) beside the signature block
(right: authority, title, bold upper case; the signer's name bold).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from broadcast.period_export import (
    BULLETIN_HEADS,
    COMMUNE_HEADS,
    FONT,
    LANGUAGE_HEADS,
    QUOC_HIEU,
    TIEU_NGU,
    TITLE,
    Letterhead,
    bulletin_rows,
    chart_png,
    commune_rows,
    date_line,
    language_rows,
    subtitle,
    summary_lines,
)
from broadcast.period_report import PeriodReport
from broadcast.reports import decimal


def _run(par, text: str, *, bold: bool = False, italic: bool = False, size: float = 13) -> None:  # type: ignore[no-untyped-def]
    from docx.shared import Pt

    r = par.add_run(text)
    r.bold, r.italic = bold, italic
    r.font.size = Pt(size)
    r.font.name = FONT


def _para(cell_or_doc, text: str = "", *, align: str = "center", **kw: object):  # type: ignore[no-untyped-def]
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    par = cell_or_doc.add_paragraph()
    par.alignment = {"center": WD_ALIGN_PARAGRAPH.CENTER, "left": WD_ALIGN_PARAGRAPH.LEFT,
                     "right": WD_ALIGN_PARAGRAPH.RIGHT, "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}[align]  # fmt: skip
    par.paragraph_format.space_after = 0
    if text:
        _run(par, text, **kw)  # type: ignore[arg-type]
    return par


def _two_columns(doc, widths_cm: tuple[float, float]):  # type: ignore[no-untyped-def]
    from docx.shared import Cm

    table = doc.add_table(rows=1, cols=2)
    table.autofit = False
    for cell, w in zip(table.rows[0].cells, widths_cm, strict=True):
        cell.width = Cm(w)
        cell.paragraphs[0].paragraph_format.space_after = 0
    return table.rows[0].cells


def _head(doc, head: Letterhead, report: PeriodReport) -> None:  # type: ignore[no-untyped-def]
    left, right = _two_columns(doc, (6.5, 9.5))
    if head.issuer_parent:
        _run(left.paragraphs[0], head.issuer_parent.upper(), size=12)
        left.paragraphs[0].alignment = 1
        _para(left, head.issuer.upper(), bold=True, size=12)
    else:
        _run(left.paragraphs[0], head.issuer.upper(), bold=True, size=12)
        left.paragraphs[0].alignment = 1
    _para(left, "———", size=10)
    _para(left, head.number_line(), size=13)
    _run(right.paragraphs[0], QUOC_HIEU, bold=True, size=12)
    right.paragraphs[0].alignment = 1
    _para(right, TIEU_NGU, bold=True, size=13)
    _para(right, "———————————", size=10)
    _para(right, date_line(head.place, head.signed_on or report.date_to), italic=True, size=13)
    _para(doc)
    _para(doc, TITLE, bold=True, size=14)
    _para(doc, subtitle(report), bold=True, size=14)
    _para(doc, "———", size=10)


def _table(doc, heads: Sequence[str], rows: Sequence[Sequence[object]]) -> None:  # type: ignore[no-untyped-def]
    t = doc.add_table(rows=1, cols=len(heads))
    t.style = "Table Grid"
    for cell, h in zip(t.rows[0].cells, heads, strict=True):
        cell.text = ""
        _run(cell.paragraphs[0], h, bold=True, size=10)
    for row in rows:
        cells = t.add_row().cells
        for cell, v in zip(cells, row, strict=True):
            _run(cell.paragraphs[0], decimal(v) if isinstance(v, float) else str(v), size=10)


def _body(doc, report: PeriodReport) -> None:  # type: ignore[no-untyped-def]
    from docx.shared import Cm

    _para(doc, "I. KẾT QUẢ CHUNG", align="left", bold=True)
    for line in summary_lines(report):
        par = _para(doc, line, align="justify")
        par.paragraph_format.first_line_indent = Cm(1.0)
    _para(doc, "II. KẾT QUẢ THEO TỪNG BẢN TIN, NGHỊ QUYẾT", align="left", bold=True)
    _table(doc, BULLETIN_HEADS, bulletin_rows(report))
    _para(doc, "III. KẾT QUẢ THEO TỪNG XÃ, PHƯỜNG", align="left", bold=True)
    _table(doc, COMMUNE_HEADS, commune_rows(report))
    if report.communes:
        doc.add_picture(io.BytesIO(chart_png(report.communes)), width=Cm(16))
        _para(doc, "Biểu đồ: thời lượng phát theo xã, phường", italic=True, size=11)
    _para(doc, "IV. THEO NGÔN NGỮ PHÁT", align="left", bold=True)
    _table(doc, LANGUAGE_HEADS, language_rows(report))


def _foot(doc, head: Letterhead) -> None:  # type: ignore[no-untyped-def]
    _para(doc)
    left, right = _two_columns(doc, (7.5, 8.5))
    _run(left.paragraphs[0], "Nơi nhận:", bold=True, italic=True, size=12)
    for r in head.recipients:
        _para(left, f"- {r};", align="left", size=11)
    _para(left, "- Lưu: VT.", align="left", size=11)
    first = right.paragraphs[0]
    first.alignment = 1
    if head.signer_authority:
        _run(first, head.signer_authority.upper(), bold=True, size=13)
        _para(right, head.signer_title.upper(), bold=True, size=13)
    else:
        _run(first, head.signer_title.upper(), bold=True, size=13)
    _para(right, "(Ký, ghi rõ họ tên, đóng dấu)", italic=True, size=12)
    for _ in range(3):
        _para(right)
    _para(right, head.signer_name or "", bold=True, size=13)


def docx_bytes(report: PeriodReport, head: Letterhead) -> bytes:
    """The report as a DOCX document (A4, margins 20/15/30/20 mm as the decree asks)."""
    from docx import Document
    from docx.shared import Mm

    doc = Document()
    sec = doc.sections[0]
    sec.page_height, sec.page_width = Mm(297), Mm(210)
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Mm(20), Mm(20), Mm(30), Mm(15)
    doc.styles["Normal"].font.name = FONT
    doc.core_properties.title = f"{TITLE} {subtitle(report)}"
    doc.core_properties.author = head.issuer
    _head(doc, head, report)
    _body(doc, report)
    _foot(doc, head)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
