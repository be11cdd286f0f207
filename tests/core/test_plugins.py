"""The platform reads what apps declare (plugin.py) and imports none of them."""

import ast
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings

from service_ops import embedded, plugins
from service_ops.celery import app as celery_app
from service_ops.celery import load_beat_schedule
from service_ops.deadlines.models import Deadline, DeadlineStatus
from service_ops.deadlines.sweep import sweep_deadlines

Z = ZoneInfo("Asia/Shanghai")
BUSINESS_APPS = {"repairs", "callcenter", "complaints", "spareparts"}
PLATFORM = ("service_ops", "network")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", "") == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.add(str(node.args[0].value).split(".")[0])
    return found


def test_no_module_of_the_platform_imports_a_business_app():
    root = Path(settings.BASE_DIR)
    offenders = []
    for top in PLATFORM:
        for path in (root / top).rglob("*.py"):
            bad = _imports(path) & BUSINESS_APPS
            if bad:
                offenders.append(f"{path.relative_to(root)} imports {sorted(bad)}")
    assert offenders == []


def test_the_import_check_would_catch_a_platform_module_that_imports_repairs(tmp_path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("from repairs.services import orders\nimport callcenter.hooks\n")
    assert _imports(sneaky) & BUSINESS_APPS == {"repairs", "callcenter"}


def test_every_project_app_is_a_plugin_with_its_declaration_in_plugin_py():
    labels = [label for label, _p in plugins.plugins()]
    assert labels[:4] == ["service_ops", "network", "repairs", "callcenter"]


@pytest.mark.django_db
def test_beat_and_the_embedded_sweeper_read_one_list_of_periodic_jobs():
    declared = {job.name for job in plugins.periodic_jobs()}
    assert {"sweep-deadlines", "send-pending-notifications", "build-review-list"} <= declared
    beat = load_beat_schedule(celery_app)
    assert set(beat) == declared
    assert celery_app.conf.beat_schedule is beat
    assert {job.name for job in embedded.Sweeper(interval=30).jobs} == declared
    review = beat["build-review-list"]
    assert review["task"] == "repairs.tasks.build_review_list"
    from repairs import tasks  # noqa: F401  (a worker imports it through autodiscovery)

    assert review["task"] in celery_app.tasks  # a worker can run what beat sends
    assert review["schedule"].day_of_week == {3, 6}  # crontab counts from Sunday: Wed, Sat
    assert (review["schedule"].hour, review["schedule"].minute) == ({8}, {30})
    assert beat["sweep-deadlines"]["schedule"] == float(
        settings.SERVICE_OPS["SWEEP_INTERVAL_SECONDS"]
    )


@pytest.mark.django_db
def test_the_embedded_sweeper_runs_a_weekday_job_on_its_days_once(monkeypatch):
    ran = []
    monkeypatch.setattr(
        "repairs.tasks.review_list_build_and_tell", lambda now: ran.append(now) or 0
    )
    job = next(j for j in plugins.periodic_jobs() if j.name == "build-review-list")
    sweeper = embedded.Sweeper(interval=30, jobs=[job])
    tuesday = datetime(2026, 12, 8, 9, tzinfo=Z)
    for moment in (tuesday, tuesday + timedelta(days=1), tuesday + timedelta(days=1, hours=2)):
        sweeper.step(now=moment)
    assert ran == [tuesday + timedelta(days=1)]  # Wednesday, once


# --- the call centre's callback: a registered deadline kind ----------------------------------


@pytest.mark.django_db
def test_a_callback_requested_through_the_hook_is_a_timer_that_breaches_and_escalates(net):
    from network.choices import Role
    from tests.factories import make_user

    agent = make_user("agent", net.hq, Role.CALL_AGENT)
    shipped = datetime(2026, 11, 25, 15, tzinfo=Z)  # a Wednesday
    assert plugins.hook("request_callback"), "the call centre declares the hook"
    with time_machine.travel(shipped, tick=False):
        (request,) = plugins.call_hook(
            "request_callback", subject=net.dealer, purpose="维修回访", contact_name="胡军"
        )
        again = plugins.call_hook("request_callback", subject=net.dealer, purpose="维修回访")[0]
    assert again.pk == request.pk
    timer = Deadline.objects.get(kind="callcenter.callback")  # one, not two
    assert timer.owner == request
    assert timer.due_at == datetime(2026, 11, 30, 18, tzinfo=Z)  # Thu, Fri, Mon
    assert request.due_at == timer.due_at
    assert timer.assignee is None and timer.org_unit == net.hq

    from service_ops.work import work_of

    assert [i.what for i in work_of(agent, now=shipped).items] == [timer.label]

    sweep_deadlines(now=datetime(2026, 12, 1, 9, tzinfo=Z))
    timer.refresh_from_db()
    assert timer.status == DeadlineStatus.BREACHED
    assert agent.notifications.filter(subject__startswith="已超期").exists()
    sweep_deadlines(now=datetime(2026, 12, 2, 19, tzinfo=Z))
    assert net.head.notifications.filter(subject__contains="超期升级").exists()
