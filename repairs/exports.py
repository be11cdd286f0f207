"""Excel exports of the return process (openpyxl)."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .selectors.returns import RankingRow

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FLAG_FILL = PatternFill("solid", fgColor="F8D7DA")
HEADER_FONT = Font(bold=True)


def _sheet(wb: Workbook, title: str, heading: str, rows: list[RankingRow], flag_text: str):
    ws = wb.create_sheet(title)
    ws.append([heading])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([_("名次"), _("单位"), _("编码"), _("返修台数"), _("未经申请台数"), _("标记")])
    for cell in ws[2]:
        cell.font = HEADER_FONT
        cell.alignment = Alignment(horizontal="center")
    for row in rows:
        flag = flag_text if row.flagged else ""
        if row.tied:
            flag = f"{flag}（{_('并列')}）" if flag else _("并列")
        ws.append([row.rank, row.unit.name, row.unit.code, row.units, row.arrivals, flag])
        if row.flagged:
            for cell in ws[ws.max_row]:
                cell.fill = FLAG_FILL
    if not rows:
        ws.append(["", _("本年度无返修记录")])
    for index, width in enumerate((8, 24, 14, 12, 14, 36), start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A3"
    return ws


def ranking_workbook(year: int, ranking: dict[str, list[RankingRow]]) -> bytes:
    """Both rankings of a year in one workbook: provinces (managed platform) and branches
    (operating platform), the flagged rows highlighted."""
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(
        wb,
        _("省区排名"),
        _("%(y)d 年返修机数量省区排名（管理平台）") % {"y": year},
        ranking["provinces"],
        _("前列：取消或缩短账期、取消奖励"),
    )
    _sheet(
        wb,
        _("分公司排名"),
        _("%(y)d 年返修机数量分公司排名（经营平台）") % {"y": year},
        ranking["branches"],
        _("前列：扣发分公司经理部分年终奖"),
    )
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- the repairs reports, written by the platform's background export (issue 21) ---------------
# fn(*, user, params, out): `params` are the report page's query parameters, `out` the export's
# workbook (service_ops.reports.export.Workbook); scoped by `user` as the page is.


def _report_filters(user, params):
    from django.utils import timezone as tz

    from .selectors import reports as r

    return r.filters_from(params, user, tz.localdate())


def _write_turnaround(user, f, out, share=(0, 95)):
    from .selectors import reports as r

    rows = [row for row in r.turnaround(user, f) if row.units]
    out.sheet(
        _("维修周转时间"),
        [_("月份"), _("批次"), _("台数"), _("中位数（工时）"), _("90 分位（工时）")],
        total=len(rows),
        share=share,
    )
    for row in rows:
        out.row([f"{row.month:%Y-%m}", row.tier_label, row.units, row.median, row.p90])


def _write_qc(user, f, out, share=(0, 95)):
    from .selectors import reports as r

    rows = r.qc_by_model(user, f, limit=None)
    out.sheet(
        _("质检合格率"),
        [
            _("型号"),
            _("发货台数"),
            _("维修台数"),
            _("一次质检合格台数"),
            _("一次质检合格率（%）"),
            _("二次维修台数"),
            _("二次维修率（%）"),
        ],
        total=len(rows),
        share=share,
    )
    for row in rows:
        out.row(
            [
                row.model,
                row.shipped,
                row.repaired,
                row.first_pass,
                row.yield_pct,
                row.second_repair,
                row.second_repair_pct,
            ]
        )


def _write_warranty(user, f, out, share=(0, 95)):
    from .selectors import reports as r

    rows = r.warranty_share(user, f)
    header = [_("月份")]
    for _k, label in r.SERVICE_TYPES:
        header += [label, f"{label} %"]
    out.sheet(_("保修与收费"), [*header, _("合计")], total=len(rows), share=share)
    for row in rows:
        cells = [f"{row.month:%Y-%m}"]
        for n, pct in row.cells:
            cells += [n, pct]
        out.row([*cells, row.total])


def _write_faults(user, f, out, share=(0, 95)):
    from .selectors import reports as r

    rows = r.top_faults(user, f, limit=None)
    out.sheet(_("型号故障"), [_("型号"), _("故障"), _("台数")], total=len(rows), share=share)
    for row in rows:
        out.row([row.model, row.fault, row.units])


def export_turnaround(*, user, params, out):
    _write_turnaround(user, _report_filters(user, params), out)


def export_qc(*, user, params, out):
    _write_qc(user, _report_filters(user, params), out)


def export_warranty(*, user, params, out):
    _write_warranty(user, _report_filters(user, params), out)


def export_faults(*, user, params, out):
    _write_faults(user, _report_filters(user, params), out)


def export_month_summary(*, user, params, out):
    """The month-end summary: the four repairs reports of the period, one sheet each."""
    f = _report_filters(user, params)
    _write_turnaround(user, f, out, share=(0, 25))
    _write_qc(user, f, out, share=(25, 50))
    _write_warranty(user, f, out, share=(50, 75))
    _write_faults(user, f, out, share=(75, 95))


def last_month_params(*, today):
    """The month-end summary's period: the month before `today`."""
    last = today.replace(day=1) - timedelta(days=1)
    return {"start": f"{last:%Y-%m}", "end": f"{last:%Y-%m}"}


# --- the supervisors' reports (issue 21): field visits, penalties and the fund, technicians ---


def export_field_visits(*, user, params, out):
    from .selectors import supervision as s

    data = s.field_visits(user, _report_filters(user, params), top=None)
    header = [
        _("已解决"),
        _("一次解决"),
        _("一次解决率（%）"),
        _("升级"),
        _("多次派单"),
        _("接单时长（小时）"),
        _("解决时长（小时）"),
        _("到期上门"),
        _("准时"),
        _("迟到"),
        _("未到达"),
    ]

    def cells(row):
        return [
            row.label,
            row.solved,
            row.first_time_fix,
            row.ftf_pct,
            row.escalated,
            row.redispatched,
            row.accept_hours,
            row.solve_hours,
            row.visits_due,
            row.on_time,
            row.late,
            row.not_checked_in,
        ]

    out.sheet(_("按月份"), [_("月份"), *header], total=len(data.months), share=(0, 45))
    for row in data.months:
        out.row(cells(row))
    out.sheet(_("按服务网点"), [_("服务网点"), *header], total=len(data.points), share=(45, 95))
    for row in data.points:
        out.row(cells(row))


def _penalty_header(first):
    return [
        first,
        _("罚款提出"),
        _("罚款已确认"),
        _("确认金额（元）"),
        _("罚款已免除"),
        _("罚款待确认"),
        _("待确认下限（元）"),
        _("待确认上限（元）"),
        _("扣分提出"),
        _("扣分已确认"),
        _("已扣分数"),
        _("扣分已免除"),
    ]


def _penalty_cells(row):
    return [
        f"{row.label} {row.sub}".strip(),
        row.fines,
        row.fines_confirmed,
        row.fines_amount,
        row.fines_waived,
        row.fines_pending,
        row.pending_min,
        row.pending_max,
        row.points,
        row.points_confirmed,
        row.points_deducted,
        row.points_waived,
    ]


def export_penalties(*, user, params, out):
    from .selectors import supervision as s

    data = s.penalties(user, _report_filters(user, params), top=None)
    for title, first, rows, share in (
        (_("按月份"), _("月份"), data.months, (0, 20)),
        (_("按责任单位"), _("责任单位"), data.units, (20, 40)),
        (_("按责任人"), _("责任人"), data.people, (40, 60)),
    ):
        out.sheet(title, _penalty_header(first), total=len(rows), share=share)
        for row in rows:
            out.row(_penalty_cells(row))
    if data.fund is not None:
        out.sheet(
            _("快乐基金"),
            [_("月份"), _("流入（元）"), _("流出（元）"), _("月末余额（元）")],
            total=len(data.fund),
            share=(60, 80),
        )
        for row in data.fund:
            out.row([f"{row.month:%Y-%m}", row.inflow, row.outflow, row.balance])
    out.sheet(
        _("客诉处罚"),
        [_("月份"), _("提出"), _("已确认"), _("已免除"), _("待确认"), _("确认金额（元）")],
        total=len(data.complaints),
        share=(80, 95),
    )
    for row in data.complaints:
        out.row(
            [
                f"{row['month']:%Y-%m}",
                row["proposed"],
                row["confirmed"],
                row["waived"],
                row["pending"],
                row["money_confirmed"],
            ]
        )


def export_technicians(*, user, params, out):
    from .selectors import supervision as s

    rows = s.technicians(user, _report_filters(user, params), limit=None)
    out.sheet(
        _("技术员月度考评"),
        [
            _("月份"),
            _("技术员"),
            _("类别"),
            _("台数"),
            _("二次维修"),
            _("二次维修率（%）"),
            _("回访数"),
            _("接通"),
            _("接通率（%）"),
            _("满意"),
            _("不满意"),
            _("满意率（%）"),
            _("客诉"),
            _("得分"),
        ],
        total=len(rows),
    )
    for row in rows:
        out.row(
            [
                f"{row.month:%Y-%m}",
                row.name,
                row.kind_label,
                row.units,
                row.second,
                row.second_pct,
                row.callbacks_closed,
                row.reached,
                row.reach_pct,
                row.satisfied,
                row.dissatisfied,
                row.satisfied_pct,
                row.complaints,
                row.score,
            ]
        )
