"""Product feedback to development (信息反馈, issue 18 item 5): a valid product-quality complaint
creates feedback once, a pattern of repairs on one model with the same fault opens one feedback
and not twice, the development department's reply (recorded on its behalf) and its tracking,
the reply deadline escalating with time travel, and the pages (scope, errors, query counts)."""

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django_fsm import TransitionNotAllowed

from complaints.choices import Category, Channel, FeedbackSource, FeedbackState
from complaints.models import FeedbackRules, ProductFeedback
from complaints.plugin import FEEDBACK_KIND
from complaints.services import complaints as svc
from complaints.services import feedback as fb
from network.choices import Role
from repairs.models import RepairOrder
from service_ops import plugins
from service_ops.deadlines.models import Deadline, DeadlineAction, DeadlineStatus
from service_ops.deadlines.sweep import sweep_deadlines
from service_ops.notifications.models import Notification
from service_ops.transitions.services import log_of
from service_ops.workcalendar.clock import ZONE
from tests.factories import PASSWORD, make_user
from tests.repairs.test_orders import receive_lot

F = FeedbackState
MONDAY = date(2026, 9, 7)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE)


def travel(moment: datetime):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def fx(net):
    n = net
    n.handler = make_user("handler", n.hq, Role.COMPLAINT_TEAM)
    n.sup = make_user("sup", n.hq, Role.SUPERVISOR)
    return n


def complaint(n, *, category=Category.PRODUCT_QUALITY, model="GPS-X1", serial="SN-1"):
    return svc.create_complaint(
        actor=n.handler,
        complainant_name="李先生",
        content="同批次设备频繁死机",
        category=category,
        channel=Channel.CALL,
        product_model=model,
        serial_number=serial,
    )


def judged(n, c, valid=True):
    if valid:
        return svc.judge(c, actor=n.handler, valid=True, severity=c.severity)
    return svc.judge(c, actor=n.handler, valid=False, reason="使用不当")


def client_for(user):
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def reply_timer(item):
    return Deadline.objects.filter(owner_id=item.pk, kind=FEEDBACK_KIND).order_by("-pk").first()


# --- from complaints --------------------------------------------------------------------------


def test_a_valid_product_quality_complaint_creates_feedback_once(fx):
    n = fx
    with travel(at(MONDAY, 9)):
        first = judged(n, complaint(n))
    item = ProductFeedback.objects.get()
    assert (item.product_model, item.source, item.state) == ("GPS-X1", "complaint", F.OPEN)
    assert list(item.complaints.all()) == [first]
    assert first.number in item.content
    assert fb.feedback_from_complaint(complaint=first) == item  # again: the same, no new row
    # a second complaint about the model joins the open feedback
    second = judged(n, complaint(n, serial="SN-2"))
    assert ProductFeedback.objects.count() == 1
    assert set(item.complaints.all()) == {first, second}
    # another model, an invalid complaint, another category: none of them adds feedback here
    judged(n, complaint(n, model="GPS-Y2", serial="SN-3"))
    judged(n, complaint(n, serial="SN-4"), valid=False)
    judged(n, complaint(n, category=Category.SERVICE_ATTITUDE, serial="SN-5"))
    assert sorted(ProductFeedback.objects.values_list("product_model", flat=True)) == [
        "GPS-X1",
        "GPS-Y2",
    ]
    assert item.complaints.count() == 2
    # the reply is due in 5 working days, waiting for the complaint supervisor
    timer = reply_timer(item)
    assert timer.due_at == at(MONDAY + timedelta(days=7), 18)
    assert timer.assignee is None and timer.waiting_role == Role.SUPERVISOR


def test_the_reply_is_recorded_and_tracked_until_verified(fx):
    n = fx
    judged(n, complaint(n))
    item = ProductFeedback.objects.get()
    with pytest.raises(PermissionDenied):  # the handler records no reply for development
        fb.feedback_reply(feedback=item, actor=n.handler, reply="改", replied_by_name="陈工")
    with pytest.raises(ValidationError) as err:
        fb.feedback_reply(feedback=item, actor=n.sup, reply=" ", replied_by_name="")
    assert {"reply", "replied_by_name"} <= set(err.value.message_dict)
    with pytest.raises(ValidationError):  # nothing to track before the reply
        fb.feedback_note(feedback=item, actor=n.handler, text="跟进")
    item = fb.feedback_reply(
        feedback=item,
        actor=n.sup,
        reply="主板电容更换为高温型号，下批次生效",
        replied_by_name="开发部 陈工",
        planned_by=date.today() + timedelta(days=30),
    )
    assert item.state == F.ANSWERED and item.reply_recorded_by == n.sup
    assert reply_timer(item).status == DeadlineStatus.MET
    fb.feedback_note(feedback=item, actor=n.handler, text="已确认 10 月批次使用新电容")
    fb.feedback_note(feedback=item, actor=n.handler, text="新批次返修率下降")
    item.refresh_from_db()
    assert item.state == F.TRACKING and item.notes.count() == 2
    with pytest.raises(ValidationError):
        fb.feedback_close(feedback=item, actor=n.handler, verification="")
    item = fb.feedback_close(feedback=item, actor=n.handler, verification="三个月零返修")
    assert item.state == F.CLOSED
    assert [e.transition for e in log_of(item)] == ["record_reply", "start_tracking", "close"]
    with pytest.raises(TransitionNotAllowed):
        fb.feedback_reply(feedback=item, actor=n.sup, reply="再", replied_by_name="陈工")
    # closed: the next quality complaint about the model opens a new feedback
    judged(n, complaint(n, serial="SN-9"))
    assert ProductFeedback.objects.filter(state=F.OPEN, product_model="GPS-X1").count() == 1


def test_asking_again_restarts_the_reply_clock(fx):
    n = fx
    judged(n, complaint(n))
    item = ProductFeedback.objects.get()
    fb.feedback_reply(feedback=item, actor=n.sup, reply="用户使用问题", replied_by_name="陈工")
    item = fb.feedback_ask_again(feedback=item, actor=n.sup, reason="同批次已有 5 例，请分析")
    assert item.state == F.OPEN
    assert reply_timer(item).status == DeadlineStatus.RUNNING
    assert Deadline.objects.filter(owner_id=item.pk, kind=FEEDBACK_KIND).count() == 2


def test_an_unanswered_reply_escalates_to_the_supervisor_then_the_head(fx):
    n = fx
    with travel(at(MONDAY, 9)):
        judged(n, complaint(n))
    item = ProductFeedback.objects.get()
    for day, hour in ((6, 18), (7, 18), (8, 18), (9, 18), (20, 9)):
        sweep_deadlines(now=at(MONDAY + timedelta(days=day), hour, 5))
    levels = sorted(
        DeadlineAction.objects.filter(deadline=reply_timer(item)).values_list("level", flat=True)
    )
    assert levels == [1, 2, 3]  # warning, breach (the supervisor), then the head
    told = Notification.objects.filter(
        channel="in_app", category="deadline", subject__contains=item.number
    )
    assert told.filter(recipient=n.sup).count() == 2  # the warning and the breach
    assert told.filter(recipient=n.head).count() == 1
    assert reply_timer(item).status == DeadlineStatus.BREACHED


# --- from repairs -----------------------------------------------------------------------------


def test_the_pattern_job_opens_one_feedback_per_pattern_and_not_twice(fx):
    n = fx
    rules = FeedbackRules.current()
    assert (rules.pattern_repairs, rules.pattern_days) == (5, 30)
    FeedbackRules.objects.filter(pk=rules.pk).update(pattern_repairs=3)
    receive_lot(n, ["P1", "P2", "P3"], at(MONDAY, 10))  # GPS-X1, fault 不定位
    RepairOrder.objects.filter(serial_number="P3").update(fault_description="  不定位 ")
    receive_lot(n, ["Q1", "Q2"], at(MONDAY, 11))
    RepairOrder.objects.filter(serial_number__startswith="Q").update(fault_description="屏幕花屏")
    now = at(MONDAY + timedelta(days=2), 6, 30)
    assert fb.feedback_detect_repair_patterns(now=now) == 1
    item = ProductFeedback.objects.get()
    assert (item.source, item.product_model, item.fault) == (
        FeedbackSource.REPAIR_PATTERN,
        "GPS-X1",
        "不定位",
    )
    assert item.repair_count == 3 and len(item.repair_refs) == 3
    assert reply_timer(item).status == DeadlineStatus.RUNNING
    # the next day: the same pattern, one more order — counted, not opened again
    receive_lot(n, ["P4"], at(MONDAY + timedelta(days=2), 10))
    assert fb.feedback_detect_repair_patterns(now=now + timedelta(days=1)) == 0
    item.refresh_from_db()
    assert ProductFeedback.objects.count() == 1 and item.repair_count == 4
    # past the window nothing is found; a pattern of two stays below the rule
    assert fb.feedback_detect_repair_patterns(now=now + timedelta(days=40)) == 0
    assert ProductFeedback.objects.count() == 1


def test_the_pattern_job_is_declared_for_beat_and_the_sweeper(fx):
    job = next(j for j in plugins.periodic_jobs() if j.name == "complaints-repair-patterns")
    assert job.run == "complaints.services.feedback.feedback_detect_repair_patterns"
    from complaints import tasks  # noqa: F401  (a worker imports it through autodiscovery)
    from service_ops.celery import app as celery_app

    assert job.task in celery_app.tasks


# --- pages ------------------------------------------------------------------------------------


def test_pages_scope_errors_and_query_counts(fx, django_assert_max_num_queries):
    n = fx
    c = judged(n, complaint(n))
    item = ProductFeedback.objects.get()
    sup = client_for(n.sup)
    url = reverse("complaints:feedback_list")
    with django_assert_max_num_queries(14) as few:
        assert sup.get(url).status_code == 200
    for i in range(30):
        judged(n, complaint(n, model=f"M-{i % 7}", serial=f"X{i}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = sup.get(url)
    assert response.status_code == 200 and len(response.context["page"]) == 8
    by_model = {r["product_model"]: r["total"] for r in response.context["by_model"]}
    assert by_model["GPS-X1"] == 1 and len(by_model) == 8
    assert len(sup.get(url, {"model": "GPS-X1"}).context["page"]) == 1
    # the complaint page links to its feedback
    assert item.number in sup.get(c.get_absolute_url()).content.decode()
    detail = item.get_absolute_url()
    with django_assert_max_num_queries(30):
        assert sup.get(detail).status_code == 200
    for outsider in (n.dealer_user, n.gz_manager):
        assert client_for(outsider).get(detail).status_code == 403
        assert client_for(outsider).get(url).status_code == 403
    gz_team = make_user("gz_team", n.gz, Role.COMPLAINT_TEAM)
    assert client_for(gz_team).get(detail).status_code == 404  # headquarters' feedback
    reply = reverse("complaints:feedback_act", args=[item.pk, "reply"])
    assert client_for(n.handler).post(reply, {"reply-reply": "x"}).status_code == 403
    response = sup.post(reply, {"reply-reply": "更换电容"})
    assert response.status_code == 400
    data = {"reply-reply": "更换电容", "reply-replied_by_name": "陈工"}
    assert sup.post(reply, data).status_code == 302
    assert sup.post(reply, data, HTTP_HX_REQUEST="true").status_code == 409
    note = reverse("complaints:feedback_act", args=[item.pk, "note"])
    assert client_for(n.handler).post(note, {"note-text": "已跟进"}).status_code == 302
    item.refresh_from_db()
    assert item.state == F.TRACKING
    assert "已跟进" in sup.get(detail).content.decode()
