"""A callback's promise becomes a timer of the deadline engine (kind callcenter.callback).

Every existing request keeps its promised time: its timer starts at the request's creation with
the default policy and is then pinned to the stored due time, before the column goes."""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone

POLICY = {
    "code": "callback-3wd",
    "name": "回访（3 个工作日内）",
    "kind": "callcenter.callback",
    "unit": "working_days",
    "limit": 3,
    "escalation_chain": ["call_agent", "head_of_cs"],
}


def timers_for_existing(apps, schema_editor):
    CallbackRequest = apps.get_model("callcenter", "CallbackRequest")
    if not CallbackRequest.objects.exists():
        return
    DeadlinePolicy = apps.get_model("service_ops", "DeadlinePolicy")
    Deadline = apps.get_model("service_ops", "Deadline")
    ContentType = apps.get_model("contenttypes", "ContentType")
    OrgUnit = apps.get_model("network", "OrgUnit")
    policy, _ = DeadlinePolicy.objects.get_or_create(
        code=POLICY["code"], defaults={k: v for k, v in POLICY.items() if k != "code"}
    )
    snapshot = {
        "code": policy.code, "kind": policy.kind, "unit": policy.unit, "limit": str(policy.limit),
        "max_total": None, "warn_before": "1", "escalation_chain": list(policy.escalation_chain),
        "escalation_interval": policy.escalation_interval,
    }
    owner_type, _ = ContentType.objects.get_or_create(app_label="callcenter", model="callbackrequest")
    root = OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()
    now = timezone.now()
    for request in CallbackRequest.objects.all():
        warn_at = request.due_at - timedelta(days=1)  # about one working day before
        # A past promise is swept as breached on the next sweep; a future one fires at its time.
        Deadline.objects.create(
            policy=policy, policy_snapshot=snapshot, kind=policy.kind,
            label=f"回访：{request.purpose} {request.contact_name}".strip()[:200],
            owner_type=owner_type, owner_id=request.pk, org_unit=root,
            started_at=request.created_at, due_at=request.due_at, warn_at=warn_at,
            next_action_at=min(now, warn_at),
            status="running",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("callcenter", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("network", "0002_partner_token_kinds"),
        ("service_ops", "0005_notification_tasks"),
    ]

    operations = [
        migrations.RunPython(timers_for_existing, migrations.RunPython.noop),
        migrations.AlterModelOptions(
            name="callbackrequest",
            options={
                "ordering": ["created_at", "id"],
                "verbose_name": "回访请求",
                "verbose_name_plural": "回访请求",
            },
        ),
        migrations.RemoveField(model_name="callbackrequest", name="due_at"),
    ]
