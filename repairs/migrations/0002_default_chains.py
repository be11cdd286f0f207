"""Default approval chains (DESIGN §2.1; the managed chain follows the seed's flow chart: the
provincial manager reviews) and the approval-step time limit. Both are data, editable later."""

from django.db import migrations

STEP_POLICY = {
    "code": "rma-approval-step",
    "name": "返厂申请审批步骤",
    "kind": "rma.approval_step",
    "unit": "working_days",
    "limit": 1,
    "escalation_chain": ["assignee", "head_of_cs"],
}

CHAINS = {
    "operating": (
        "经营型分公司返货流程",
        [
            ("驻外客服主管确认", "field_cs_supervisor", "branch"),
            ("分公司经理审核", "branch_manager", "branch"),
            ("客服部部长审批", "head_of_cs", "headquarters"),
        ],
    ),
    "managed": (
        "管理型分公司返货流程",
        [
            ("当地维修工程师确认", "local_engineer", "branch"),
            ("省区经理审核", "provincial_manager", "province"),
            ("客服部部长审批", "head_of_cs", "headquarters"),
        ],
    ),
}


def forwards(apps, schema_editor):
    DeadlinePolicy = apps.get_model("service_ops", "DeadlinePolicy")
    Chain = apps.get_model("repairs", "ApprovalChainTemplate")
    Step = apps.get_model("repairs", "ApprovalStepTemplate")
    ReturnPolicy = apps.get_model("repairs", "ReturnPolicy")
    policy, _ = DeadlinePolicy.objects.get_or_create(
        code=STEP_POLICY["code"], defaults={k: v for k, v in STEP_POLICY.items() if k != "code"}
    )
    for platform, (name, steps) in CHAINS.items():
        chain, created = Chain.objects.get_or_create(platform=platform, defaults={"name": name})
        if created:
            for position, (step_name, role, scope) in enumerate(steps, start=1):
                Step.objects.create(
                    chain=chain, position=position, name=step_name, role=role,
                    holder_scope=scope, deadline_policy=policy,
                )
    if not ReturnPolicy.objects.exists():
        ReturnPolicy.objects.create()


class Migration(migrations.Migration):
    dependencies = [
        ("repairs", "0001_initial"),
        ("service_ops", "0002_document_sequence"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
