"""Demo advances (借支) and expense claims (报销), issue 22 (called by repairs.demo.load_demo;
loads once), so each role finds something on first login:

- 梁超 (`gz_engineer`, 广州): an advance paid 45 days ago, partly settled by a paid claim (the
  rest outstanding, reminded); a 6,000 元 advance waiting for 林海 (`gz_manager`) with finance on
  its chain (above the threshold); a claim with a lodging line over its limit, signed by the
  branch manager and waiting for the head of customer service (`head_cs`);
- 徐斌 (`hz_engineer`, 杭州): an advance paid 100 days ago (the ageing list's >90 bucket) and a
  claim returned by the branch manager for a missing ticket;
- 曾勇 (`cs_engineer`, 长沙): an advance and a claim approved and waiting for finance
  (`finance`)."""

from __future__ import annotations

import base64
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from network.selectors import role_holders

from ..models import Advance
from ..services import advances as money

PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def _receipt():
    return ContentFile(PIXEL, name="receipt.png")


def _sign(doc, steps: int | None = None):
    signed = 0
    while (steps is None or signed < steps) and (
        step := doc.steps.filter(round=doc.round, state="pending").first()
    ):
        signer = role_holders(step.role, step.org_unit)[0]
        money.money_decide(step_id=step.pk, actor=signer, approve=True, comment="同意")
        doc.refresh_from_db()
        signed += 1
    return doc


def _line(category, amount, days_ago, days=1, note=""):
    return money.ExpenseLineInput(
        category=category,
        spent_on=timezone.localdate() - timedelta(days=days_ago),
        amount=Decimal(amount),
        days=days,
        note=note,
        photos=[_receipt()],
    )


def load(*, units, users, stdout=None) -> None:
    if Advance.objects.exists():
        return
    finance = users["finance"]
    today = timezone.localdate()
    gz, hz, cs = users["gz_engineer"], users["hz_engineer"], users["cs_engineer"]

    trip = _sign(
        money.advance_create(
            requester=gz,
            amount=Decimal("3000"),
            purpose="湛江、茂名三台车载终端上门维修差旅",
            trip_destination="湛江、茂名",
            trip_start=today - timedelta(days=47),
            trip_end=today - timedelta(days=42),
            submit=True,
        )
    )
    money.advance_pay(
        advance_id=trip.pk,
        actor=finance,
        paid_on=today - timedelta(days=45),
        method="bank",
        reference="YH-0045",
    )
    settled_by = _sign(
        money.claim_create(
            claimant=gz,
            advance=trip,
            lines=[
                _line("travel", "420", 44, note="广州—湛江高铁往返"),
                _line("lodging", "600", 43, days=2, note="湛江两晚"),
                _line("local_parts", "180", 43, note="本地购买天线接头"),
            ],
            note="湛江上门",
            submit=True,
        )
    )
    money.claim_pay(
        claim_id=settled_by.pk, actor=finance, paid_on=today - timedelta(days=30), method="bank"
    )
    money.advance_create(
        requester=gz,
        amount=Decimal("6000"),
        purpose="粤西片区巡检一周，含车辆租用",
        trip_destination="阳江、云浮",
        trip_start=today + timedelta(days=3),
        trip_end=today + timedelta(days=9),
        submit=True,
    )
    _sign(
        money.claim_create(
            claimant=gz,
            lines=[
                _line("lodging", "420", 6, note="佛山展会期间酒店"),
                _line("freight", "60", 6, note="寄回旧件"),
            ],
            note="佛山上门",
            submit=True,
        ),
        steps=1,
    )

    old = _sign(
        money.advance_create(
            requester=hz,
            amount=Decimal("2000"),
            purpose="温州、台州上门",
            trip_destination="温州、台州",
            submit=True,
        )
    )
    money.advance_pay(
        advance_id=old.pk, actor=finance, paid_on=today - timedelta(days=100), method="cash"
    )
    returned = money.claim_create(
        claimant=hz,
        lines=[_line("travel", "260", 12, note="杭州—宁波往返"), _line("other", "45", 12)],
        submit=True,
    )
    step = returned.steps.get(state="pending")
    money.money_decide(
        step_id=step.pk,
        actor=role_holders(step.role, step.org_unit)[0],
        approve=False,
        comment="“其他”一项请写明用途并补充票据",
    )

    _sign(
        money.advance_create(
            requester=cs,
            amount=Decimal("1500"),
            purpose="株洲代理商培训",
            trip_destination="株洲",
            submit=True,
        )
    )
    _sign(
        money.claim_create(
            claimant=cs,
            lines=[_line("travel", "150", 3), _line("lodging", "260", 3)],
            submit=True,
        )
    )
    money.send_advance_reminders()
    if stdout is not None:
        stdout.write("演示借支 5 笔（2 笔未核销，1 笔待审批，1 笔待付款），报销单 4 张\n")
