"""The periodic report as files: DOCX (a Vietnamese administrative report under Nghị định
30/2020/NĐ-CP), XLSX (sheets and a native chart) and CSV (UTF-8 with BOM, for Excel).

The DOCX follows the decree's layout of an administrative document: the issuing body and its
number and symbol on the left, the national title (quốc hiệu) and motto (tiêu ngữ) on the right,
then the place and date, the title, the body with its tables and chart, the recipients (nơi nhận)
and the signature block. Times New Roman 13–14 pt, A4, margins 20–30 mm.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from broadcast.period_report import BulletinLine, CommuneLine, Counts, PeriodReport, ratio
from broadcast.reports import PRIORITY_LABELS, decimal, safe_cell

QUOC_HIEU = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TIEU_NGU = "Độc lập - Tự do - Hạnh phúc"
TITLE = "BÁO CÁO"
FORMATS = ("docx", "xlsx", "csv")
FONT = "Times New Roman"


@dataclass(frozen=True)
class Letterhead:
    """What the decree puts around the body; built from Settings by the caller (loa/CLI/panel)."""

    issuer: str
    issuer_parent: str = ""
    number: str = ""
    symbol: str = "UBND"
    place: str = "Lâm Đồng"
    signer_authority: str = "TM. ỦY BAN NHÂN DÂN"
    signer_title: str = "CHỦ TỊCH"
    signer_name: str = ""
    recipients: tuple[str, ...] = ()
    signed_on: date | None = None

    def number_line(self) -> str:
        return f"Số: {self.number or '       '}/BC-{self.symbol}"


def letterhead_from(settings: object, report: PeriodReport, signed_on: date) -> Letterhead:
    """The letterhead of ``settings`` (loa.config.Settings report_* fields) for this report."""
    issuer = getattr(settings, "report_issuer", "") or (
        f"ỦY BAN NHÂN DÂN {report.unit_name.upper()}" if report.unit_name else "ỦY BAN NHÂN DÂN"
    )
    return Letterhead(
        issuer=issuer,
        issuer_parent=getattr(settings, "report_issuer_parent", ""),
        number=getattr(settings, "report_number", ""),
        symbol=getattr(settings, "report_symbol", "UBND"),
        place=getattr(settings, "report_place", "Lâm Đồng"),
        signer_authority=getattr(settings, "report_signer_authority", ""),
        signer_title=getattr(settings, "report_signer_title", ""),
        signer_name=getattr(settings, "report_signer_name", ""),
        recipients=tuple(getattr(settings, "report_recipients", ())),
        signed_on=signed_on,
    )


def date_line(place: str, day: date) -> str:
    """"Lâm Đồng, ngày 01 tháng 12 năm 2026": the decree writes days below 10 and months 1 and 2
    with a leading zero."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def period_text(report: PeriodReport) -> str:
    return f"từ ngày {report.date_from:%d/%m/%Y} đến ngày {report.date_to:%d/%m/%Y}"


def subtitle(report: PeriodReport) -> str:
    where = f" trên địa bàn {report.unit_name}" if report.unit_name else ""
    return f"Kết quả tuyên truyền qua hệ thống truyền thanh cơ sở{where}, {period_text(report)}"


def reasons_text(reasons: Counter[str]) -> str:
    return "; ".join(f"{why}: {n}" for why, n in reasons.most_common())


# --- the tables every format shares -------------------------------------------------------------

BULLETIN_HEADS = ["STT", "Bản tin / nghị quyết", "Ngôn ngữ", "Mức", "Lượt kế hoạch", "Lượt đã phát",
                  "Số phút", "Xã đã phát / được giao", "Lượt không phát", "Lý do không phát"]  # fmt: skip
COMMUNE_HEADS = ["STT", "Xã, phường", "Số cụm loa", "Lượt kế hoạch", "Lượt đã phát", "Số phút",
                 "Lượt không phát", "Lý do không phát"]  # fmt: skip
LANGUAGE_HEADS = ["Ngôn ngữ", "Lượt kế hoạch", "Lượt đã phát", "Số phút"]


def bulletin_rows(report: PeriodReport) -> list[list[object]]:
    return [[i, b.title, b.language_label, PRIORITY_LABELS.get(b.priority, b.priority), b.counts.planned,
             b.counts.aired, b.counts.minutes, ratio(len(b.reached), len(b.targeted)), b.counts.misses,
             reasons_text(b.counts.reasons)] for i, b in enumerate(report.bulletins, 1)]  # fmt: skip


def commune_rows(report: PeriodReport) -> list[list[object]]:
    return [[i, c.commune.name, c.stations, c.counts.planned, c.counts.aired, c.counts.minutes,
             c.counts.misses, reasons_text(c.counts.reasons)] for i, c in enumerate(report.communes, 1)]  # fmt: skip


def language_rows(report: PeriodReport) -> list[list[object]]:
    from broadcast.languages import label

    return [[label(code), c.planned, c.aired, c.minutes] for code, c in sorted(report.languages.items())]


def _pct(c: Counts) -> str:
    return f"{round(100 * c.aired / c.planned)}%" if c.planned else "—"


def summary_lines(report: PeriodReport) -> list[str]:
    """The body's opening paragraphs: the figures an official reads first."""
    t = report.totals
    communes = len(report.communes)
    reached = sum(1 for c in report.communes if c.counts.aired)
    lines = [
        f"Trong kỳ báo cáo ({period_text(report)}), hệ thống truyền thanh cơ sở đã phát {t.aired}/{t.planned} "
        f"lượt bản tin theo kế hoạch (đạt {_pct(t)}), tổng thời lượng {decimal(t.minutes)} phút, "
        f"tại {reached}/{communes} xã, phường có cụm loa.",
        f"Số bản tin, nghị quyết được tuyên truyền: {len({b.bulletin_id for b in report.bulletins})}; "
        f"số lượt không phát: {t.misses}; số lượt bị ngắt giữa chừng: {t.cut}.",
    ]
    if t.reasons:
        lines.append("Nguyên nhân không phát: " + reasons_text(t.reasons) + ".")
    if len(report.languages) > 1:
        lines.append("Theo ngôn ngữ (Nghị định 49/2024/NĐ-CP): " + "; ".join(
            f"{row[0]} {row[2]} lượt, {decimal(float(row[3]))} phút" for row in language_rows(report)) + ".")  # type: ignore[arg-type]  # fmt: skip
    return lines


# --- CSV ------------------------------------------------------------------------------------------


def _csv_cell(v: object) -> str:
    if isinstance(v, float):
        return decimal(v)
    return safe_cell(str(v)) if isinstance(v, str) else str(v)


def csv_bytes(report: PeriodReport) -> bytes:
    """One table: each bulletin × commune, after each bulletin its total line (commune "Tổng")."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["Mã bản tin", "Bản tin / nghị quyết", "Ngôn ngữ", "Xã, phường", "Lượt kế hoạch", "Lượt đã phát",
                "Số phút", "Xã đã phát / được giao", "Lượt không phát", "Lý do không phát"])  # fmt: skip
    for b in report.bulletins:
        for c in report.communes:
            n = c.bulletins.get((b.bulletin_id, b.language))
            if n is not None:
                w.writerow([_csv_cell(v) for v in (b.bulletin_id, b.title, b.language_label, c.commune.name, n.planned,
                            n.aired, n.minutes, "", n.misses, reasons_text(n.reasons))])  # fmt: skip
        n = b.counts
        w.writerow([_csv_cell(v) for v in (b.bulletin_id, b.title, b.language_label, "Tổng", n.planned, n.aired,
                    n.minutes, ratio(len(b.reached), len(b.targeted)), n.misses, reasons_text(n.reasons))])  # fmt: skip
    return buf.getvalue().encode("utf-8-sig")


# --- XLSX -------------------------------------------------------------------------------------------


def _sheet(wb: object, title: str, heads: Sequence[str], rows: Sequence[Sequence[object]]) -> object:
    from openpyxl.styles import Alignment, Font

    ws = wb.create_sheet(title)  # type: ignore[attr-defined]
    ws.append(list(heads))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in rows:
        ws.append([safe_cell(v) if isinstance(v, str) else v for v in row])
    for i, h in enumerate(heads, 1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = max(10, min(60, len(h) + 4))
    ws.freeze_panes = "A2"
    return ws


def xlsx_bytes(report: PeriodReport, head: Letterhead) -> bytes:
    """Sheets "Tổng hợp" (by bulletin), "Theo xã", "Ngôn ngữ", with a native bar chart of the
    minutes aired per commune."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference

    wb = Workbook()
    wb.remove(wb.active)
    ws = _sheet(wb, "Tổng hợp", BULLETIN_HEADS, bulletin_rows(report))
    ws.insert_rows(1, 3)  # type: ignore[attr-defined]
    ws["A1"] = f"{TITLE}: {subtitle(report)}"  # type: ignore[index]
    ws["A2"] = f"{head.issuer} · {head.number_line()} · {date_line(head.place, head.signed_on or report.date_to)}"  # type: ignore[index]
    ws.freeze_panes = "A5"  # type: ignore[attr-defined]
    cs = _sheet(wb, "Theo xã", COMMUNE_HEADS, commune_rows(report))
    _sheet(wb, "Ngôn ngữ", LANGUAGE_HEADS, language_rows(report))
    if report.communes:
        chart = BarChart()
        chart.type = "bar"
        chart.title = "Số phút đã phát theo xã, phường"
        chart.y_axis.title = "Phút"
        n = len(report.communes) + 1
        chart.add_data(Reference(cs, min_col=6, min_row=1, max_row=n), titles_from_data=True)
        chart.set_categories(Reference(cs, min_col=2, min_row=2, max_row=n))
        chart.height = max(7.5, 0.6 * n)
        cs.add_chart(chart, "J2")  # type: ignore[attr-defined]
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- chart (PNG) ----------------------------------------------------------------------------------


#: Most communes one chart shows (a page's height); beyond it, the ones that aired least.
CHART_MAX = 30


def chart_png(communes: Sequence[CommuneLine]) -> bytes:
    """Horizontal bars of minutes aired per commune (matplotlib, Agg backend: no display). A
    province has too many communes for one page: then the CHART_MAX that aired least are drawn,
    the ones leadership has to follow up (every commune is in the table)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    ordered = sorted(communes, key=lambda c: c.counts.minutes)
    title = "Thời lượng phát theo xã, phường"
    if len(ordered) > CHART_MAX:
        ordered = ordered[:CHART_MAX]
        title = f"{CHART_MAX} xã, phường phát ít nhất (số phút)"
    fig = Figure(figsize=(6.3, max(2.0, 0.28 * len(ordered) + 1.0)), dpi=150)
    ax = fig.add_subplot()
    ax.barh([c.commune.name for c in ordered], [c.counts.minutes for c in ordered], color="#2f6db3")
    ax.margins(x=0.12)
    ax.set_xlabel("Số phút đã phát")
    ax.set_title(title, fontsize=11)
    for i, c in enumerate(ordered):
        ax.text(c.counts.minutes, i, " " + decimal(c.counts.minutes), va="center", fontsize=7)
    ax.tick_params(labelsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def bulletin_label(b: BulletinLine) -> str:
    return b.title if not b.language else f"{b.title} [{b.language_label}]"


def export(report: PeriodReport, fmt: str, head: Letterhead) -> bytes:
    """The report's file in ``fmt`` (FORMATS)."""
    if fmt == "csv":
        return csv_bytes(report)
    if fmt == "xlsx":
        return xlsx_bytes(report, head)
    if fmt == "docx":
        from broadcast.period_docx import docx_bytes

        return docx_bytes(report, head)
    raise ValueError(f"unknown format {fmt!r}")


MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def file_name(report: PeriodReport, fmt: str) -> str:
    unit = f"-{report.unit_code}" if report.unit_code else ""
    return f"bao-cao-dinh-ky{unit}-{report.date_from.isoformat()}-{report.date_to.isoformat()}.{fmt}"
