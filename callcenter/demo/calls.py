"""Demo of the inbound call log (来电登记): a few customers and calls of each outcome, an open
follow-up for 专家坐席 (expert_agent) to answer, and one already overdue (chased by the sweep)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from ..choices import CallCategory, CallOutcome
from ..models import Customer, FollowUp, InboundCall

CUSTOMERS = (
    ("王建国", "139 1234 5678", "佛山市顺德区", "佛山"),
    ("李秀英", "0757-2288 6000 转 8012", "顺德美的物流园", "佛山"),
    ("陈志强", "186 2000 3344", "", "长沙"),
)


def load(*, units, users, stdout=None) -> None:
    if InboundCall.objects.exists():
        return
    from ..services.calls import call_log
    from ..services.followups import open_deadlines_of

    agent = users.get("call_agent")
    expert = users.get("expert_agent")
    if agent is None or expert is None:
        return
    customers = [
        Customer.objects.create(name=name, phone=phone, company=company, city=city)
        for name, phone, company, city in CUSTOMERS
    ]
    now = timezone.now()

    def log(**kw):
        kw.setdefault("started_at", timezone.now() - timedelta(seconds=40))
        return call_log(actor=agent, **kw)

    log(
        phone=customers[0].phone,
        caller=f"customer:{customers[0].pk}",
        product_model="GPS-X1",
        serial_number="X1-2026-000123",
        category=CallCategory.POLICY,
        summary="询问整机保修期：购买后一年内免费保修，需保修卡和购买凭证。",
        outcome=CallOutcome.ANSWERED,
        answer="保修期为购入后一年，凭保修卡及购买凭证享受免费保修。",
    )
    log(
        phone=customers[0].phone,
        caller=f"customer:{customers[0].pk}",
        product_model="GPS-X1",
        serial_number="X1-2026-000123",
        category=CallCategory.TECHNICAL,
        summary="设备开机后无法定位，已重启两次仍不行。",
        outcome=CallOutcome.FOLLOW_UP,
        question="GPS-X1 开机后无法定位（已重启两次），需技术确认处理办法。",
        assignee=expert,
        due_at=now + timedelta(hours=6),
    )
    overdue = log(
        phone=customers[1].phone,
        caller=f"customer:{customers[1].pk}",
        product_model="T1",
        serial_number="T1-2025-004567",
        category=CallCategory.ORDER,
        summary="订购的配件（电源适配器）迟迟未发货，要求告知发货时间。",
        outcome=CallOutcome.FOLLOW_UP,
        question="电源适配器的发货时间？",
        assignee=expert,
        due_at=now + timedelta(hours=2),
    )
    # the demo's overdue one: its promise was yesterday (the sweep chases it, then escalates)
    day = timedelta(days=1, hours=3)
    InboundCall.objects.filter(pk=overdue.pk).update(
        started_at=F("started_at") - day, ended_at=F("ended_at") - day
    )
    FollowUp.objects.filter(call=overdue).update(
        due_at=F("due_at") - day, created_at=F("created_at") - day
    )
    open_deadlines_of(overdue.follow_up).update(
        started_at=F("started_at") - day,
        due_at=F("due_at") - day,
        warn_at=F("warn_at") - day,
        next_action_at=F("warn_at") - day,
        created_at=F("created_at") - day,
    )
    log(
        phone=customers[2].phone,
        caller=f"customer:{customers[2].pk}",
        product_model="GPS-X1",
        category=CallCategory.COMPLAINT,
        summary="维修后同一故障再次出现，对维修质量不满，要求更换。",
        outcome=CallOutcome.COMPLAINT_TEAM,
    )
    office = units.get("O-GZ-TH")
    if office is not None:
        log(
            phone="020-3839 0711",
            caller=f"unit:{office.pk}",
            category=CallCategory.OTHER,
            summary="客户要求上门安装，转广州天河办事处处理。",
            outcome=CallOutcome.TRANSFERRED,
            transfer_office=office,
        )
    log(
        phone="135 0000 8888",
        new_customer_name="赵女士",
        new_customer_city="杭州",
        category=CallCategory.ACTIVATION,
        summary="询问如何获取激活码：请经销商或网点发短信 JH+序列号查询。",
        outcome=CallOutcome.ANSWERED,
    )
    if stdout is not None:
        stdout.write(f"  call centre: {InboundCall.objects.count()} calls, 2 open follow-ups\n")
