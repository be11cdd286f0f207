"""Field service demo data: the settlement with service points (called by repairs.demo.load_demo
after the requests and visits demos; loads once).

The fee rules of the network (a repair price changed in the middle of last month), and for the
demo point 广州白云特约维修站 (S-GZ-01, login `gz_point`):

- two months ago: a statement confirmed by the point and approved by the head of customer
  service, for finance (`finance`) to export for payment;
- last month: a statement issued to the point, one line already disputed (for the network
  specialist `network` to resolve) and the others waiting for the point's answer; one visit of
  the month is missing its after photo and one waits for its callback, so the page shows the
  gates they have not passed.

The finished visits are plain rows (service requests solved, visits checked in, photographed and
signed, callbacks recorded): the visit services of issue 20 may not have made any for the point."""

from __future__ import annotations

import base64
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from network.choices import PointGrade
from network.models import ServicePointProfile
from service_ops.numbering.services import next_document_number
from service_ops.workcalendar import clock

from ..choices import CallbackVerdict, PhotoKind, VisitState
from ..models import FeeRule, ServiceRequest, SettlementStatement, Visit, VisitPhoto
from ..services import settlement as svc

# a 1×1 PNG: the demo's photos and signature are files, as real ones are
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
MODELS = ("GPS-X1", "GPS-Y2", "GPS-Z3")


def _month_start(months_back: int, today: date) -> date:
    first = today.replace(day=1)
    for _ in range(months_back):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


def _rules(first_of_last_month: date, actor) -> None:
    mid = first_of_last_month.replace(day=16)
    year_start = first_of_last_month.replace(month=1, day=1) - timedelta(days=366)
    old = svc.fee_rule_add(
        actor=actor,
        rule=FeeRule(category="repair", amount=Decimal("120"), effective_from=year_start,
                     note="维修上门费（旧标准）"),
    )  # fmt: skip
    svc.fee_rule_add(
        actor=actor,
        rule=FeeRule(category="repair", amount=Decimal("130"), effective_from=mid,
                     note="维修上门费（调价）"),
        replaces=old,
    )  # fmt: skip
    for category, amount, note in (
        ("install", "90", "安装上门费"),
        ("maintenance", "60", "保养上门费"),
        ("inspection", "50", "巡检上门费"),
    ):
        svc.fee_rule_add(
            actor=actor,
            rule=FeeRule(category=category, amount=Decimal(amount), effective_from=year_start,
                         note=note),
        )  # fmt: skip
    svc.fee_rule_add(
        actor=actor,
        rule=FeeRule(category="repair", km_from=Decimal(30), km_to=Decimal(100),
                     amount=Decimal("180"), effective_from=year_start, note="远程维修"),
    )  # fmt: skip
    svc.fee_rule_add(
        actor=actor,
        rule=FeeRule(category="install", product_model="GPS-Z", warranty="in",
                     amount=Decimal("110"), effective_from=year_start, note="Z 系列保内安装"),
    )  # fmt: skip


BOTH = (PhotoKind.BEFORE, PhotoKind.AFTER)


def _visit(point, branch, finished: datetime, n: int, *, category="repair", km="12.0",
           photos=BOTH, verdict=CallbackVerdict.SATISFIED):  # fmt: skip
    request = ServiceRequest.objects.create(
        number=next_document_number("BX", at=finished, width=5),
        state="closed" if verdict == CallbackVerdict.SATISFIED else "solved",
        category=category,
        channel="call",
        serial_number=f"GZ{finished:%y%m}{n:04d}",
        product_model=MODELS[n % len(MODELS)],
        contact_name=("王先生", "陈女士", "李工", "赵经理")[n % 4],
        contact_phone=f"1391234{n:04d}",
        province="广东",
        city="广州",
        district="白云区",
        address=f"广州市白云区机场路 {100 + n} 号",
        description=("不定位", "安装新机", "年度保养", "屏幕无显示")[n % 4],
        in_warranty=n % 3 != 0,
        org_unit=branch,
        assigned_unit=point,
        callback_verdict=verdict,
        created_at=finished - timedelta(days=1),
        solved_at=finished,
    )
    visit = Visit.objects.create(
        request=request,
        state=VisitState.SOLVED,
        service_unit=point,
        window_start=finished - timedelta(hours=3),
        window_end=finished,
        checked_in_at=finished - timedelta(hours=2),
        diagnosis="现场检测",
        work_report="已处理，客户确认",
        distance_km=Decimal(km),
        signed_by=request.contact_name,
        signed_at=finished,
        finished_at=finished,
    )
    visit.signature.save(f"demo-{visit.pk}.png", ContentFile(PIXEL), save=True)
    for kind in photos:
        photo = VisitPhoto(visit=visit, kind=kind)
        photo.file.save(f"demo-{visit.pk}-{kind}.png", ContentFile(PIXEL), save=True)
    return visit


def load(*, units, users, stdout=None) -> None:
    if SettlementStatement.objects.exists() or FeeRule.objects.exists():
        return
    point, branch = units["S-GZ-01"], units["B-GZ"]
    network, head, point_user = users["network"], users["head_cs"], users["gz_point"]
    ServicePointProfile.objects.get_or_create(org_unit=point, defaults={"grade": PointGrade.B})
    today = clock.local_date(timezone.now())
    last, before = _month_start(1, today), _month_start(2, today)
    _rules(last, network)

    def at(month: date, day: int, hour: int = 15) -> datetime:
        return clock.at_local(month.replace(day=day), time(hour))

    n = 0
    for day, category, km in ((5, "repair", "12.0"), (12, "install", "8.5"),
                              (19, "repair", "45.0"), (24, "maintenance", "20.0")):  # fmt: skip
        n += 1
        _visit(point, branch, at(before, day), n, category=category, km=km)
    for day, category, km in ((4, "repair", "9.0"), (10, "install", "15.0"),
                              (18, "repair", "11.0"), (22, "repair", "52.0"),
                              (26, "inspection", "6.0")):  # fmt: skip
        n += 1
        _visit(point, branch, at(last, day), n, category=category, km=km)
    n += 1
    _visit(point, branch, at(last, 14), n, photos=(PhotoKind.BEFORE,))  # the after photo missing
    n += 1
    _visit(point, branch, at(last, 27), n, verdict=CallbackVerdict.PENDING)  # callback not yet

    # two months ago: confirmed by the point, approved, for finance to export
    older = svc.settlement_build(point=point, month=before, actor=network)
    svc.settlement_add_line(
        statement_id=older.pk, actor=network, kind="reward", amount=Decimal("100"),
        reason="当月回访满意率 100%",
    )  # fmt: skip
    svc.settlement_issue(statement_id=older.pk, actor=network)
    svc.statement_confirm_rest(statement_id=older.pk, actor=point_user)
    svc.settlement_approve(statement_id=older.pk, actor=head)
    # last month: issued, one line disputed, the rest waiting for the point
    statement = svc.settlement_build(point=point, month=last, actor=network)
    svc.settlement_add_line(
        statement_id=statement.pk, actor=network, kind="penalty", amount=Decimal("50"),
        reason="一次上门超出预约时间 2 小时",
    )  # fmt: skip
    svc.settlement_issue(statement_id=statement.pk, actor=network)
    far = statement.lines.filter(distance_km__gte=30).first() or statement.lines.first()
    svc.line_dispute(line_id=far.pk, actor=point_user, reason="实际往返 110 公里，应按远程标准结算")
    if stdout is not None:
        stdout.write(
            f"演示网点结算：费用规则 {FeeRule.objects.count()} 条；广州白云特约维修站 "
            f"{before:%Y-%m} 结算单已审批待导出付款，"
            f"{last:%Y-%m} 结算单已下发待确认（1 条有异议）\n"
        )
