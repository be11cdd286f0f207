"""The service record (服务记录单) of a visit as a PDF, the sheet the customer signs (seed 001:
the service rules' "a service record signed by the user"): the request, the unit, the times, the
check-in location, diagnosis, parts, work report, the photos as thumbnails and the signature.

Drawn with reportlab like the month-end statement (repairs.statement_exports), with the same
embedded Noto Sans SC subset from node_modules (its fallback, with a logged warning, too).
Photos are shrunk with Pillow before they go in, so a record with a dozen phone photos stays
small."""

from __future__ import annotations

import io
import logging
from xml.sax.saxutils import escape

from django.utils import timezone

from .choices import PhotoKind
from .models import Visit, VisitPart
from .statement_exports import pdf_font

logger = logging.getLogger(__name__)

THUMB_PX = 360  # the longer side of a photo's thumbnail, in pixels
THUMB_CM = 5.2  # its width on the sheet


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else "—"


def _thumbnail(field_file) -> io.BytesIO | None:
    """A JPEG (PNG for a signature's transparency is kept by the caller) of at most THUMB_PX,
    or None when the stored file cannot be read (the sheet says so instead of failing)."""
    from PIL import Image, ImageOps

    try:
        with field_file.open("rb") as handle, Image.open(handle) as image:
            image = ImageOps.exif_transpose(image)
            image.thumbnail((THUMB_PX, THUMB_PX))
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=80)
    except (OSError, ValueError) as exc:
        logger.warning("service record: photo %s unreadable (%s)", field_file.name, exc)
        return None
    out.seek(0)
    return out


def _signature_image(field_file) -> io.BytesIO | None:
    """The signature on white (a canvas's PNG is transparent)."""
    from PIL import Image

    try:
        with field_file.open("rb") as handle, Image.open(handle) as image:
            rgba = image.convert("RGBA")
            paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            paper.alpha_composite(rgba)
            out = io.BytesIO()
            paper.convert("RGB").save(out, "PNG")
    except (OSError, ValueError) as exc:
        logger.warning("service record: signature %s unreadable (%s)", field_file.name, exc)
        return None
    out.seek(0)
    return out


KIND_ORDER = {PhotoKind.BEFORE: 0, PhotoKind.AFTER: 1, PhotoKind.OTHER: 2}


def ordered_photos(visit: Visit) -> list:
    """Before, after, other; each kind in upload order."""
    return sorted(visit.photos.all(), key=lambda p: (KIND_ORDER.get(p.kind, 9), p.pk))


def _address(request) -> str:
    region = " ".join(x for x in (request.province, request.city, request.district) if x)
    return f"{region} {request.address}".strip()


def _location(visit: Visit) -> str:
    if visit.check_in_latitude is not None and visit.check_in_longitude is not None:
        accuracy = (
            f" ±{visit.check_in_accuracy_m} 米" if visit.check_in_accuracy_m is not None else ""
        )
        return f"{visit.check_in_latitude}, {visit.check_in_longitude}{accuracy}"
    if visit.check_in_location_note:
        return f"未能定位：{visit.check_in_location_note}"
    return "—"


def visit_record_pdf(visit: Visit) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import (
        Image,
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    font = pdf_font()
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, alignment=1)
    head = ParagraphStyle("head", fontName=font, fontSize=11, leading=16, spaceBefore=8)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13)
    small = ParagraphStyle("small", fontName=font, fontSize=8, leading=11)
    request = visit.request
    unit = request.unit

    def p(text, style=body) -> Paragraph:
        return Paragraph(escape(str(text or "—")).replace("\n", "<br/>"), style)

    def grid(rows, widths) -> Table:
        table = Table(rows, colWidths=widths)
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), font),
                    ("FONTSIZE", (0, 0), (-1, -1), 9),
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
                    ("BACKGROUND", (2, 0), (2, -1), colors.whitesmoke),
                ]
            )
        )
        return table

    worker = _name(visit.engineer) if visit.engineer_id else ""
    if visit.service_unit_id:
        worker = f"{visit.service_unit}" + (f" / {worker}" if worker else "")
    warranty = {True: "保修期内", False: "保修期外"}.get(request.in_warranty, "未确定")
    info = [
        [p("报修单号"), p(request.number), p("上门次数"), p(f"第 {visit.sequence} 次")],
        [p("服务类别"), p(request.get_category_display()), p("保修"), p(warranty)],
        [p("客户"), p(request.contact_name), p("电话"), p(request.contact_phone)],
        [
            p("地址"),
            p(_address(request)),
            p("受理单位"),
            p(request.org_unit),
        ],
        [
            p("设备型号"),
            p(request.product_model or (unit.product_model if unit else "")),
            p("出厂编号"),
            p(request.serial_number or (unit.serial_number if unit else "")),
        ],
        [p("故障描述"), p(request.description), p("服务人员"), p(worker)],
        [
            p("预约时间"),
            p(f"{_when(visit.window_start)} – {_when(visit.window_end)[-5:]}"),
            p("到达时间"),
            p(_when(visit.checked_in_at)),
        ],
        [p("到达位置"), p(_location(visit)), p("完成时间"), p(_when(visit.finished_at))],
        [
            p("路程"),
            p(f"{visit.distance_km} 公里" if visit.distance_km is not None else "—"),
            p("结果"),
            p(visit.get_state_display()),
        ],
    ]
    widths = [2.2 * cm, 6.3 * cm, 2.2 * cm, 6.3 * cm]
    story = [
        p("服务记录单", title),
        p(f"{request.number}-{visit.sequence}　打印时间 {_when(timezone.now())}", small),
        Spacer(1, 6),
        grid(info, widths),
        p("故障诊断", head),
        p(visit.diagnosis),
        p("处理情况", head),
        p(visit.work_report),
    ]
    if visit.incomplete_reason:
        story += [p("未解决原因", head), p(visit.incomplete_reason)]

    lines = list(
        VisitPart.objects.filter(visit=visit, removed_at__isnull=True)
        .select_related("part")
        .order_by("id")
    )
    story.append(p("使用配件", head))
    if lines:
        rows = [[p(h) for h in ("配件编号", "名称", "数量", "单价", "保修", "金额")]]
        for line in lines:
            rows.append(
                [
                    p(line.part.number),
                    p(line.part.name_zh),
                    p(line.quantity),
                    p(f"{line.unit_price:,.2f}"),
                    p("免费" if line.in_warranty else "收费"),
                    p(f"{line.amount:,.2f}"),
                ]
            )
        table = Table(rows, colWidths=[3 * cm, 5.5 * cm, 1.5 * cm, 2.3 * cm, 1.7 * cm, 3 * cm])
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), font),
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ]
            )
        )
        story.append(table)
    else:
        story.append(p("无"))

    photos = ordered_photos(visit)
    story.append(p("现场照片", head))
    if photos:
        cells = []
        for photo in photos:
            thumb = _thumbnail(photo.file)
            label = p(f"{PhotoKind(photo.kind).label} · {_when(photo.uploaded_at)}", small)
            if thumb is None:
                cells.append([p("（照片无法读取）", small), label])
                continue
            image = Image(thumb)
            scale = THUMB_CM * cm / image.imageWidth
            image.drawWidth, image.drawHeight = THUMB_CM * cm, image.imageHeight * scale
            cells.append([image, label])
        rows = [cells[i : i + 3] for i in range(0, len(cells), 3)]
        rows[-1] += [""] * (3 - len(rows[-1]))
        table = Table(
            [[_stack(cell, font) if cell else "" for cell in row] for row in rows],
            colWidths=[5.7 * cm] * 3,
        )
        table.setStyle(
            TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("FONTNAME", (0, 0), (-1, -1), font)])
        )
        story.append(table)
    else:
        story.append(p("无"))

    sign = [p("客户签字", head)]
    picture = _signature_image(visit.signature) if visit.signature else None
    if picture is not None:
        image = Image(picture)
        scale = min(6 * cm / image.imageWidth, 2.6 * cm / image.imageHeight)
        image.drawWidth, image.drawHeight = image.imageWidth * scale, image.imageHeight * scale
        image.hAlign = "LEFT"
        sign.append(image)
        who = visit.signed_by + ("（代签）" if visit.signer_is_stand_in else "")
        sign.append(p(f"签字人：{who}　签字时间：{_when(visit.signed_at)}"))
    else:
        sign.append(p("（未签字）"))
    sign.append(Spacer(1, 4))
    sign.append(p("本人确认以上服务内容属实。", small))
    story.append(KeepTogether(sign))

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=f"服务记录单 {request.number}-{visit.sequence}",
        initialFontName=font,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=1.6 * cm,
        bottomMargin=1.6 * cm,
    )
    doc.build(story)
    return out.getvalue()


def _stack(cell, font):
    """A photo above its caption, as one table cell."""
    from reportlab.platypus import Table, TableStyle

    inner = Table([[cell[0]], [cell[1]]])
    inner.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return inner
