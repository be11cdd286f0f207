"""Demo callbacks (回访): installed customers with their milestone callbacks, a supervisor's list
handed to the agents on shift, and last weeks' worked callbacks (reached, not reached, one
dissatisfied with its second callback and care SMS) so the queue, the list and the report show
something. The shipped demo repairs already owe their callbacks (through the hook)."""

from __future__ import annotations

from datetime import time, timedelta

from django.utils import timezone

from service_ops.workcalendar import clock

from ..choices import CallbackPurpose, CallResult
from ..models import CallbackRequest, Customer, Installation
from ..services import callbacks as svc

CUSTOMERS = (
    ("刘先生", "13600136001", "GPS-X1", "AX-1001", 8),
    ("黄女士", "13600136002", "GPS-Z3", "AZ-1002", 31),
    ("周先生", "13600136003", "GPS-Y2", "AY-1003", 95),
    ("吴女士", "13600136004", "GPS-X1", "AX-1004", 40),
    ("郑先生", "13600136005", "GPS-X1", "AX-1005", 2),
)
LIST_CUSTOMERS = (
    ("冯先生", "13700137001"),
    ("陈女士", "13700137002"),
    ("褚先生", "13700137003"),
    ("卫女士", "13700137004"),
)


def load(*, units, users, stdout=None) -> None:
    if Installation.objects.exists():
        return
    now = timezone.now()
    today = timezone.localdate()
    gz = units.get("B-GZ")
    agent = users["call_agent"]
    lead = users.get("cc_lead") or users["head_cs"]
    for name, phone, model, serial, days in CUSTOMERS:
        svc.installation_create(
            actor=agent,
            customer_name=name,
            customer_phone=phone,
            product_model=model,
            serial_number=serial,
            installed_on=today - timedelta(days=days),
            org_unit=gz,
        )
    svc.installation_callbacks_due(now=now)

    # A supervisor's list (专项回访), handed evenly to the agents on shift.
    ids = []
    for name, phone in LIST_CUSTOMERS:
        customer = Customer.objects.filter(phone=phone).first() or Customer.objects.create(
            name=name, phone=phone, org_unit=gz
        )
        task, _created = svc.callback_create(
            subject=customer,
            purpose=CallbackPurpose.SUPERVISOR_LIST,
            contact_name=name,
            contact_phone=phone,
            org_unit=gz,
            note="春节前产品使用情况回访",
        )
        ids.append(task.pk)
    svc.callback_assign(task_ids=ids, actor=lead)

    # Last week's work, for the report: called inside last week's windows.
    day = clock.nth_working_day_before(today, 5)
    moment = clock.at_local(day, time(10, 5))
    done = list(
        CallbackRequest.objects.filter(pk__in=ids[:3]).order_by("pk")
    )  # 冯先生 satisfied, 陈女士 dissatisfied, 褚先生 not reached
    for task, outcome in zip(done, ("satisfied", "dissatisfied", "unreached"), strict=False):
        holder = task.assignee or agent
        svc.callback_take(task_id=task.pk, agent=holder, now=moment)
        if outcome == "unreached":
            svc.callback_record_call(
                task_id=task.pk,
                actor=holder,
                call=svc.CallInput(result=CallResult.WRONG_NUMBER, note="空号"),
                now=moment,
            )
            continue
        svc.callback_record_call(
            task_id=task.pk,
            actor=holder,
            call=svc.CallInput(
                result=CallResult.REACHED,
                satisfaction=5 if outcome == "satisfied" else 2,
                comments="服务很好" if outcome == "satisfied" else "等待维修时间太长",
            ),
            now=moment,
        )
    if stdout is not None:
        stdout.write(f"  callbacks: {CallbackRequest.objects.count()} tasks")
