"""Demo complaints (客诉): one waiting to be judged, one in investigation with options, one waiting
for the head of customer service's approval, a major one waiting for senior approval, one with
the customer, one closed and one closed as invalid — so `make run` shows every stage of the desk;
with penalties pending, confirmed and waived, and the product-quality complaint's feedback; and a
dealer's complaint filed as through the partner API (its serial's timeline shows the return and
the repair too); the statistics page counts them all.
Users: complaints (吴敏, the complaint team), head_cs (王建国, approves), supervisor (冯磊)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from .choices import ActionKind, Category, Channel
from .models import Complaint
from .services import complaints as svc

DEMO_MARKER_PHONE = "13911110001"


def load_demo(*, units, users, stdout=None) -> None:
    # Its own first complaint marks the demo as loaded: the call centre's demo may already have
    # handed a call to the complaint team (a complaint of its own) before this runs.
    if "complaints" not in users or "head_cs" not in users:
        return
    if Complaint.objects.filter(complainant_phone=DEMO_MARKER_PHONE).exists():
        return
    from callcenter.models import Customer

    handler, head = users["complaints"], users["head_cs"]
    hq = next(u for u in units.values() if u.parent_id is None)
    now = timezone.now()
    promised = timezone.localdate() + timedelta(days=5)

    def customer(name, phone):
        return Customer.objects.get_or_create(phone=phone, defaults={"name": name})[0]

    def new(name, phone, category, content, **kw):
        return svc.create_complaint(
            actor=handler,
            complainant_name=name,
            complainant_phone=phone,
            customer=customer(name, phone),
            channel=kw.pop("channel", Channel.CALL),
            category=category,
            content=content,
            product_model=kw.pop("model", "GPS-X1"),
            **kw,
        )

    def investigated(c, cause, options):
        c = svc.judge(c, actor=handler, valid=True, severity=c.severity)
        svc.record_investigation(
            c, actor=handler, cause=cause, problem_type="service", responsible_unit=hq
        )
        for text, amount in options:
            svc.add_option(
                c, actor=handler, description=text, promised_by=promised, compensation=amount
            )
        return c

    new(
        "赵先生",
        DEMO_MARKER_PHONE,
        Category.REPAIR_TIME,
        "设备送修已经两周还没有寄回，电话催了三次。",
        serial_number="GX1-2026-0101",
        expected_outcome="尽快寄回并说明原因",
    )
    investigated(
        new(
            "钱女士", "13911110002", Category.SERVICE_ATTITUDE, "上门工程师态度恶劣，拒绝解释收费。"
        ),
        "工程师未按服务规范解释收费项目",
        [("书面致歉并退还上门费", Decimal("80")), ("书面致歉", None)],
    )
    c = investigated(
        new(
            "孙先生",
            "13911110003",
            Category.CHARGES,
            "保修期内维修被收取了配件费。",
            serial_number="GX1-2026-0303",
            amount_claimed=Decimal("350"),
        ),
        "网点误判保修状态",
        [("退还配件费 350 元", Decimal("350"))],
    )
    svc.propose(c, actor=handler)
    major = new(
        "李总",
        "13911110004",
        Category.PRODUCT_QUALITY,
        "车队 30 台设备同批次频繁死机，影响运营，要求整批更换并赔偿损失。",
        serial_number="GX1-2026-0404",
        amount_claimed=Decimal("60000"),
        expected_outcome="整批更换，赔偿停运损失",
    )
    major = investigated(
        major, "该批次主板电容不良", [("整批更换并补偿三个月服务费", Decimal("9000"))]
    )
    major = svc.propose(major, actor=handler)
    svc.approve(major, actor=head, option_id=major.options.first().pk, comment="同意，报高层")
    c = investigated(
        new(
            "周女士",
            "13911110005",
            Category.PARTS,
            "更换的电池一个月就鼓包。",
            serial_number="GX1-2026-0505",
        ),
        "电池批次质量问题",
        [("免费更换原厂电池", None)],
    )
    c = svc.propose(c, actor=handler)
    c = svc.approve(c, actor=head, option_id=c.options.first().pk)
    c = svc.start_implementation(c, actor=handler)
    svc.add_action(c, actor=handler, kind=ActionKind.REPLACE_UNIT, description="寄出新电池")
    svc.finish_implementation(c, actor=handler)
    c = investigated(
        new("吴先生", "13911110006", Category.REPAIR_TIME, "维修超时未通知。"),
        "维修排期未同步给客户",
        [("致歉并赠送一年延保", None)],
    )
    c = svc.propose(c, actor=handler)
    c = svc.approve(c, actor=head, option_id=c.options.first().pk)
    c = svc.start_implementation(c, actor=handler)
    svc.add_action(c, actor=handler, kind=ActionKind.EXTRA_SERVICE, description="赠送一年延保")
    c = svc.finish_implementation(c, actor=handler)
    c = svc.customer_accepts(c, actor=handler, reply="接受")
    c = svc.record_callback(c, actor=handler, result="客户满意", satisfied=True)
    svc.close(
        c,
        actor=handler,
        classification="justified",
        root_cause="维修进度不透明",
        improvement_action="维修单超过 5 天自动短信告知客户进度",
    )
    invalid = new("郑先生", "13911110007", Category.OTHER, "要求免费升级到新型号。")
    svc.judge(
        invalid, actor=handler, valid=False, reason="免费升级不在保修范围内，可为您介绍以旧换新优惠"
    )
    made = 7
    if "cs_dealer" in users:
        # A dealer's complaint through the partner API's service, about a unit of its batch in
        # the workshop (repairs' demo): the serial's timeline shows the return, the repair
        # order and the complaint together.
        svc.complaint_file_by_partner(
            actor=users["cs_dealer"],
            serial_number="X1-270201",
            product_model="GPS-X1",
            category=Category.REPAIR_TIME,
            content="整批返修的设备迟迟没有维修进度，终端客户一直在催。",
            expected_outcome="三个工作日内告知维修进度并寄回",
            complainant_name="代理商售后专员",
        )
        made += 1
    _penalties_and_feedback(users)
    if stdout is not None:
        stdout.write(f"complaints: {made} demo complaints ({now:%Y-%m-%d})")


def _penalties_and_feedback(users) -> None:
    """Issue 18 items 4 and 5 on the demo complaints: a penalty waiting for the head of customer
    service (the engineer and his branch manager), one confirmed, one waived with its reason; the
    product-quality complaint's feedback answered by development and being tracked."""
    from decimal import Decimal

    from .choices import PenaltyKind
    from .services import feedback as feedback_svc
    from .services import penalties as penalty_svc

    handler, head = users["complaints"], users["head_cs"]
    engineer = users.get("gz_engineer") or users.get("technician")
    manager = users.get("gz_manager")
    repair_sup = users.get("repair_sup")
    supervisor = users.get("supervisor")
    if engineer is None:
        return
    attitude = Complaint.objects.get(complainant_name="钱女士")
    svc.record_investigation(
        attitude,
        actor=handler,
        cause=attitude.cause,
        problem_type="service",
        responsible_unit=attitude.responsible_unit,
        responsible_person=engineer,
    )
    penalty_svc.penalty_propose(
        complaint=attitude,
        actor=handler,
        person=engineer,
        kind=PenaltyKind.FINE,
        amount=Decimal("200"),
        manager=manager,
        manager_kind=PenaltyKind.BONUS_DEDUCTION if manager else "",
        manager_amount=Decimal("300") if manager else None,
        reason="上门服务态度恶劣，拒绝解释收费，造成客户投诉",
    )
    charges = Complaint.objects.get(complainant_name="孙先生")
    (waived,) = penalty_svc.penalty_propose(
        complaint=charges,
        actor=handler,
        person=engineer,
        kind=PenaltyKind.WARNING,
        reason="误判保修状态，多收配件费",
    )
    penalty_svc.penalty_waive(penalty=waived, actor=head, note="系统保修数据有误，非个人责任")
    major = Complaint.objects.get(complainant_name="李总")
    if repair_sup is not None:
        (confirmed,) = penalty_svc.penalty_propose(
            complaint=major,
            actor=handler,
            person=repair_sup,
            kind=PenaltyKind.BONUS_DEDUCTION,
            amount=Decimal("800"),
            reason="同批次主板问题多次返修未及时上报",
        )
        penalty_svc.penalty_confirm(penalty=confirmed, actor=head, note="按制度扣除当月奖金")
    feedback = major.feedback.first()  # made when the product-quality complaint was judged
    if feedback is not None and supervisor is not None:
        feedback_svc.feedback_reply(
            feedback=feedback,
            actor=supervisor,
            reply="该批次主板电容耐温不足，已改用 105℃ 电容，下月批次生效",
            replied_by_name="开发部 陈工",
        )
        feedback_svc.feedback_note(
            feedback=feedback, actor=handler, text="已向生产确认下月批次物料更换"
        )
    feedback_svc.feedback_detect_repair_patterns()
