"""Default repair limits (DESIGN §2.2: 1 unit 3 working days, 2–3 units 7, a batch 15, never
beyond 15), quote deadlines (send within 1 working day, consent within 2) and the loaner return
limit. All data, editable in the admin."""

from django.db import migrations

POLICIES = [
    ("repair-lot-1", "维修时限（单台）", "repair.limit", 3, 15, ["assignee", "repair_supervisor",
                                                              "head_of_cs"]),
    ("repair-lot-2-3", "维修时限（2–3 台）", "repair.limit", 7, 15,
     ["assignee", "repair_supervisor", "head_of_cs"]),
    ("repair-lot-batch", "维修时限（批量 4 台以上）", "repair.limit", 15, 15,
     ["assignee", "repair_supervisor", "head_of_cs"]),
    ("quote-send", "报价发送（后勤专员 1 个工作日内）", "repair.quote_send", 1, None,
     ["assignee", "head_of_cs"]),
    ("quote-consent", "报价确认（发货方 2 个工作日内）", "repair.quote_consent", 2, None,
     ["assignee", "head_of_cs"]),
    ("loaner-return", "备用机归还", "repair.loaner_return", 20, None,
     ["assignee", "repair_supervisor", "head_of_cs"]),
]
RULES = [(1, 1, "repair-lot-1"), (2, 3, "repair-lot-2-3"), (4, None, "repair-lot-batch")]


def forwards(apps, schema_editor):
    DeadlinePolicy = apps.get_model("service_ops", "DeadlinePolicy")
    LotLimitRule = apps.get_model("repairs", "LotLimitRule")
    for code, name, kind, limit, max_total, chain in POLICIES:
        DeadlinePolicy.objects.get_or_create(code=code, defaults={
            "name": name, "kind": kind, "unit": "working_days", "limit": limit,
            "max_total": max_total, "escalation_chain": chain,
        })
    if not LotLimitRule.objects.exists():
        for low, high, code in RULES:
            LotLimitRule.objects.create(
                min_units=low, max_units=high, policy=DeadlinePolicy.objects.get(code=code)
            )


class Migration(migrations.Migration):
    dependencies = [("repairs", "0003_repair_orders")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
