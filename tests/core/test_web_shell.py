"""The browser shell: login, my work, the deadline page, the inbox, the history panel, the
working-day calendar and the language switch."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from network.choices import Role
from network.models import OrgUnit
from service_ops.deadlines.models import BallHolder, DeadlineStatus
from service_ops.deadlines.services import deadline_pause
from service_ops.notifications.models import Notification
from service_ops.notifications.services import notify
from service_ops.transitions.models import ActionChannel, TransitionLog
from service_ops.workcalendar.models import CalendarDay, CalendarYear
from tests.factories import PASSWORD, make_user, org_tree, page_link, start_deadline

Z = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=Z)  # a Monday

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _chinese_again_afterwards(settings):
    """A request leaves its language active in the thread (LocaleMiddleware never deactivates):
    after the English test, later tests would read English messages."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def tree():
    return org_tree()


@pytest.fixture
def clerk(tree):
    return make_user("clerk", tree["hq"], Role.LOGISTICS_CLERK, first_name="小王")


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


# --- login / logout / password -------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(reverse("my_work"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_user_logs_in_and_lands_on_my_work(client, clerk):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert 'name="username"' in page.text
    assert "form-control" in page.text
    response = client.post(reverse("login"), {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("my_work")
    assert client.get(reverse("my_work")).status_code == 200


def test_a_wrong_password_shows_an_error(client, clerk):
    response = client.post(reverse("login"), {"username": "clerk", "password": "wrong"})
    assert response.status_code == 200
    assert "alert-danger" in response.text


def test_logout_is_a_post_and_ends_the_session(clerk_client):
    assert clerk_client.get(reverse("logout")).status_code == 405
    response = clerk_client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert clerk_client.get(reverse("my_work")).status_code == 302


def test_the_user_changes_the_password(clerk_client, clerk):
    assert clerk_client.get(reverse("password_change")).status_code == 200
    response = clerk_client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Another-pass-2027",
            "new_password2": "Another-pass-2027",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    clerk.refresh_from_db()
    assert clerk.check_password("Another-pass-2027")
    assert clerk_client.get(reverse("password_change_done")).status_code == 200


def test_the_shell_has_landmarks_navigation_bell_language_and_user_menu(clerk_client, clerk):
    notify(recipients=[clerk], subject="新的返修申请")
    html = clerk_client.get(reverse("my_work")).text
    assert "<main" in html and "<header>" in html and "<nav" in html
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert "vendor/htmx/htmx.min.js" in html and "vendor/bootstrap/css/bootstrap.min.css" in html
    assert 'id="bell-count"' in html and ">1<" in html
    assert reverse("inbox") in html
    assert reverse("network:staff_directory") in html
    assert reverse("calendar") in html  # an internal user
    assert reverse("set_language") in html
    assert f'action="{reverse("logout")}" method="post"' in html
    assert reverse("admin:index") not in html  # not staff
    assert "cdn" not in html.lower()


def test_a_dealer_does_not_see_the_calendar_link(client, tree):
    dealer = make_user("dealer", tree["dealer"], Role.DEALER_STAFF)
    client.force_login(dealer)
    html = client.get(reverse("my_work")).text
    assert reverse("calendar") not in html
    assert client.get(reverse("calendar")).status_code == 403


def test_the_navigation_follows_the_roles(client, tree):
    def links(user):
        client.force_login(user)
        return client.get(reverse("my_work")).text

    clerk = make_user("clerk2", tree["hq"], Role.LOGISTICS_CLERK)
    manager = make_user("manager", tree["branch"], Role.BRANCH_MANAGER)
    head = make_user("head", tree["hq"], Role.HEAD_OF_CS)
    html = links(clerk)
    assert reverse("repairs:logistics_board") in html
    assert reverse("repairs:signature_queue") not in html
    html = links(manager)
    assert reverse("repairs:signature_queue") in html
    assert reverse("repairs:logistics_board") not in html
    assert reverse("repairs:ranking") not in html
    assert reverse("repairs:ranking") in links(head)


def test_staff_see_the_admin_link(client, tree):
    admin = make_user("admin", tree["hq"], is_staff=True)
    client.force_login(admin)
    assert reverse("admin:index") in client.get(reverse("my_work")).text


# --- my work -------------------------------------------------------------------------------------


def _three_deadlines(tree, clerk):
    owner = tree["dealer"]
    overdue = start_deadline(
        owner=owner,
        assignee=clerk,
        started_at=datetime(2026, 11, 16, 10, tzinfo=Z),  # due Thu 11-19 18:00
        label="超期的维修单",
        org_unit=tree["branch"],
    )
    soon = start_deadline(
        owner=owner,
        assignee=clerk,
        started_at=datetime(2026, 11, 20, 10, tzinfo=Z),  # due Mon 11-23 18:00
        limit=1,
        label="今天到期的报价",
    )
    later = start_deadline(
        owner=owner,
        assignee=clerk,
        started_at=datetime(2026, 11, 23, 9, tzinfo=Z),  # due Mon 11-30 18:00
        limit=5,
        label="下周到期的维修单",
    )
    return overdue, soon, later


def test_my_work_lists_my_open_deadlines_overdue_first_with_time_left(
    frozen, clerk_client, clerk, tree
):
    overdue, soon, later = _three_deadlines(tree, clerk)
    other = make_user("other", tree["hq"])
    start_deadline(owner=tree["dealer"], assignee=other, started_at=NOW, label="别人的时限")
    html = clerk_client.get(reverse("my_work")).text

    assert "别人的时限" not in html
    positions = [html.index(d.label) for d in (overdue, soon, later)]
    assert positions == sorted(positions)
    assert "超期 1 个工作日" in html
    assert "剩余 8.0 工作小时" in html  # due today 18:00
    assert "剩余 5 个工作日" in html  # 11-24, 25, 26, 27, 30
    assert "2026-11-30 18:00" in html
    assert reverse("deadline_detail", args=[overdue.pk]) in html
    assert "text-bg-danger" in html


def test_my_work_filters_by_group(frozen, clerk_client, clerk, tree):
    overdue, soon, later = _three_deadlines(tree, clerk)
    html = clerk_client.get(reverse("my_work"), {"show": "overdue"}).text
    assert overdue.label in html
    assert soon.label not in html and later.label not in html
    html = clerk_client.get(reverse("my_work"), {"show": "soon"}).text
    assert soon.label in html and overdue.label not in html


def test_closed_deadlines_are_not_on_my_work(frozen, clerk_client, clerk, tree):
    overdue, _, _ = _three_deadlines(tree, clerk)
    type(overdue).objects.filter(pk=overdue.pk).update(status=DeadlineStatus.MET)
    assert overdue.label not in clerk_client.get(reverse("my_work")).text


def test_a_paused_deadline_shows_the_reason_and_who_holds_the_ball(
    frozen, clerk_client, clerk, tree
):
    _, _, later = _three_deadlines(tree, clerk)
    deadline_pause(deadline=later, reason="等待客户确认报价", ball_holder=BallHolder.CUSTOMER)
    html = clerk_client.get(reverse("my_work")).text
    assert "已暂停" in html
    assert "等待客户确认报价" in html
    assert "客户" in html


def test_staff_are_warned_about_provisional_calendar_years(frozen, client, tree):
    CalendarYear.objects.update_or_create(year=2027, defaults={"provisional": True})
    admin = make_user("admin", tree["hq"], is_staff=True)
    client.force_login(admin)
    html = client.get(reverse("my_work")).text
    assert "2027 年工作日历为暂定" in html
    assert f"{reverse('calendar')}?year=2027" in html


def test_ordinary_users_get_no_calendar_warning(frozen, clerk_client):
    CalendarYear.objects.update_or_create(year=2027, defaults={"provisional": True})
    assert "工作日历为暂定" not in clerk_client.get(reverse("my_work")).text


def test_my_work_runs_the_same_queries_for_5_or_50_deadlines(
    frozen, clerk_client, clerk, tree, django_assert_max_num_queries
):
    for i in range(5):
        start_deadline(owner=tree["dealer"], assignee=clerk, started_at=NOW, label=f"时限{i}")
    clerk_client.get(reverse("my_work"))  # warm the calendar cache
    with CaptureQueriesContext(connection) as captured:
        assert clerk_client.get(reverse("my_work")).status_code == 200
    five = len(captured)  # read now: the next request clears the connection's query log
    for i in range(5, 50):
        start_deadline(owner=tree["dealer"], assignee=clerk, started_at=NOW, label=f"时限{i}")
    clerk_client.get(reverse("my_work"))
    with django_assert_max_num_queries(five):
        html = clerk_client.get(reverse("my_work")).text
    assert "时限0" in html and "时限24" in html  # a page of 25
    with django_assert_max_num_queries(five):
        html = clerk_client.get(reverse("my_work"), {"page": 2}).text
    assert "时限49" in html


# --- deadline detail -----------------------------------------------------------------------------


def test_the_deadline_page_shows_its_log_to_the_assignee(frozen, clerk_client, clerk, tree):
    overdue, _, _ = _three_deadlines(tree, clerk)
    response = clerk_client.get(reverse("deadline_detail", args=[overdue.pk]))
    assert response.status_code == 200
    assert "时限日志" in response.text
    assert "开始" in response.text
    assert overdue.label in response.text


def test_the_deadline_page_redirects_to_its_owner_when_it_has_a_page(
    frozen, clerk_client, clerk, tree, monkeypatch
):
    overdue, _, _ = _three_deadlines(tree, clerk)
    monkeypatch.setattr(
        OrgUnit, "get_absolute_url", lambda self: f"/network/units/{self.pk}/", raising=False
    )
    response = clerk_client.get(reverse("deadline_detail", args=[overdue.pk]))
    assert response.status_code == 302
    assert response["Location"] == f"/network/units/{tree['dealer'].pk}/"


def test_the_deadline_page_is_scoped(frozen, client, clerk, tree):
    overdue, soon, _ = _three_deadlines(tree, clerk)  # overdue: org unit = the managed branch
    outsider = make_user("outsider", tree["branch2"])
    branch_manager = make_user("manager", tree["branch"], Role.BRANCH_MANAGER)
    head = make_user("head", tree["hq"], Role.HEAD_OF_CS)

    client.force_login(outsider)
    assert client.get(reverse("deadline_detail", args=[overdue.pk])).status_code == 404
    client.force_login(branch_manager)
    assert client.get(reverse("deadline_detail", args=[overdue.pk])).status_code == 200
    assert client.get(reverse("deadline_detail", args=[soon.pk])).status_code == 404  # no org unit
    client.force_login(head)
    assert client.get(reverse("deadline_detail", args=[soon.pk])).status_code == 200


# --- inbox ---------------------------------------------------------------------------------------


def test_the_inbox_lists_my_notifications_unread_highlighted(clerk_client, clerk, tree):
    other = make_user("other", tree["hq"])
    notify(recipients=[clerk], subject="返修申请待审批", url="/inbox/")
    notify(recipients=[clerk], subject="报价已确认")
    notify(recipients=[other], subject="别人的通知")
    Notification.objects.filter(subject="报价已确认").update(read_at=NOW)
    html = clerk_client.get(reverse("inbox")).text
    assert "返修申请待审批" in html and "报价已确认" in html
    assert "别人的通知" not in html
    assert html.count("list-group-item-primary unread") == 1
    assert 'id="bell-count"' in html and ">1<" in html


def test_the_inbox_paginates(clerk_client, clerk):
    for i in range(25):
        notify(recipients=[clerk], subject=f"通知{i:02d}")
    first = clerk_client.get(reverse("inbox")).text
    assert "通知24" in first and "通知00" not in first
    second = clerk_client.get(reverse("inbox") + page_link(first)).text
    assert "通知00" in second and "通知24" not in second  # 20 a page
    back = clerk_client.get(reverse("inbox") + page_link(second, "prev")).text
    assert "通知24" in back and "通知05" in back and "通知04" not in back


def test_mark_all_read_with_htmx_updates_the_list_and_the_bell(clerk_client, clerk):
    notify(recipients=[clerk], subject="甲")
    notify(recipients=[clerk], subject="乙")
    response = clerk_client.post(reverse("inbox_mark_all_read"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="inbox-list"' in response.text
    assert "<html" not in response.text
    assert 'id="bell-count"' in response.text and 'hx-swap-oob="true"' in response.text
    assert "unread" not in response.text.split('id="bell-count"')[0]
    assert not Notification.objects.filter(recipient=clerk, read_at__isnull=True).exists()


def test_mark_all_read_without_htmx_redirects(clerk_client, clerk):
    notify(recipients=[clerk], subject="甲")
    response = clerk_client.post(reverse("inbox_mark_all_read"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=clerk, read_at__isnull=True).exists()
    assert clerk_client.get(reverse("inbox_mark_all_read")).status_code == 405


def test_opening_a_notification_marks_it_read_and_follows_its_link(clerk_client, clerk, tree):
    notify(recipients=[clerk], subject="去看看", url="/network/staff/")
    notify(recipients=[clerk], subject="外链", url="https://evil.example.com/")
    local = Notification.objects.get(subject="去看看")
    response = clerk_client.get(reverse("inbox_open", args=[local.pk]))
    assert response.status_code == 302 and response["Location"] == "/network/staff/"
    local.refresh_from_db()
    assert local.read_at is not None
    external = Notification.objects.get(subject="外链")
    response = clerk_client.get(reverse("inbox_open", args=[external.pk]))
    assert response.status_code == 200  # shown, never redirected off-site
    assert "外链" in response.text
    other = make_user("other", tree["hq"])
    notify(recipients=[other], subject="别人的")
    theirs = Notification.objects.get(subject="别人的")
    assert clerk_client.get(reverse("inbox_open", args=[theirs.pk])).status_code == 404


# --- history panel and time-left tag -------------------------------------------------------------


def test_the_history_panel_renders_the_transition_log(clerk, tree):
    unit = tree["dealer"]
    ct = ContentType.objects.get_for_model(OrgUnit)
    TransitionLog.objects.create(
        object_type=ct,
        object_id=unit.pk,
        transition="submit",
        from_state="draft",
        to_state="submitted",
        actor=clerk,
        channel=ActionChannel.WEB,
        comment="请尽快审批",
        created_at=datetime(2026, 11, 20, 9, 30, tzinfo=Z),
    )
    TransitionLog.objects.create(
        object_type=ct,
        object_id=unit.pk,
        transition="approve",
        from_state="submitted",
        to_state="approved",
        channel=ActionChannel.SYSTEM,
    )
    html = Template("{% load service_ops_tags %}{% history_panel obj %}").render(
        Context({"obj": unit})
    )
    assert "2026-11-20 09:30" in html
    assert "小王" in html
    assert "draft" in html and "submitted" in html and "approved" in html
    assert html.index("draft") < html.index("approved")
    assert "请尽快审批" in html
    assert "网页" in html and "系统" in html


def test_the_history_panel_of_an_object_without_history_says_so(tree):
    html = Template("{% load service_ops_tags %}{% history_panel obj %}").render(
        Context({"obj": tree["hq"]})
    )
    assert "暂无记录" in html


def test_the_time_left_tag_colours_by_urgency(frozen, clerk, tree):
    overdue, soon, later = _three_deadlines(tree, clerk)
    template = Template("{% load service_ops_tags %}{% time_left d %}")
    assert "text-bg-danger" in template.render(Context({"d": overdue}))
    assert "text-bg-warning" in template.render(Context({"d": soon}))
    rendered = template.render(Context({"d": later}))
    assert "text-bg-success" in rendered and "剩余 5 个工作日" in rendered


# --- working-day calendar ------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, tree):
    client.force_login(make_user("admin", tree["hq"], is_staff=True))
    return client


SCHEDULE_2027 = """
2027-01-01~2027-01-03 休 元旦
2027-02-06~2027-02-13 休 春节
2027-02-14 班 春节调休
2027-02-20 班 春节调休
"""


def test_the_calendar_shows_a_provisional_year_prominently(frozen, admin_client):
    response = admin_client.get(reverse("calendar"), {"year": 2027})
    assert response.status_code == 200
    html = response.text
    assert "2027 年为暂定日历" in html
    assert html.count("cal-month") >= 12
    assert "单日调整" in html and "确认年度放假调休安排" in html


def test_an_internal_user_sees_the_calendar_without_the_forms(frozen, clerk_client):
    html = clerk_client.get(reverse("calendar"), {"year": 2026}).text
    assert "cal-month" in html
    assert "单日调整" not in html


def test_staff_override_one_day(frozen, admin_client, clerk, tree):
    start_deadline(owner=tree["dealer"], assignee=clerk, started_at=NOW, label="受影响的")
    response = admin_client.post(
        reverse("calendar_set_day") + "?year=2026",
        {"day": "2026-11-24", "is_working": "0", "note": "公司停电"},
    )
    assert response.status_code == 302
    day = CalendarDay.objects.get(date=date(2026, 11, 24))
    assert day.is_override and not day.is_working and day.note == "公司停电"
    html = admin_client.get(response["Location"]).text
    assert "已调整 2026-11-24，重算了 1 个计时器" in html
    assert "公司停电" in html


def test_an_invalid_override_shows_the_form_errors(frozen, admin_client):
    response = admin_client.post(
        reverse("calendar_set_day"), {"day": "not-a-date", "is_working": "1"}
    )
    assert response.status_code == 400
    assert "is-invalid" in response.text
    assert not CalendarDay.objects.filter(is_override=True).exists()


def test_staff_confirm_a_provisional_year_with_the_published_schedule(frozen, admin_client):
    admin_client.get(reverse("calendar"), {"year": 2027})  # seeds 2027 as provisional
    assert CalendarYear.objects.get(year=2027).provisional
    response = admin_client.post(
        reverse("calendar_confirm"), {"year": "2027", "schedule_text": SCHEDULE_2027}
    )
    assert response.status_code == 302
    assert not CalendarYear.objects.get(year=2027).provisional
    assert CalendarDay.objects.get(date=date(2027, 2, 14)).is_working
    html = admin_client.get(response["Location"]).text
    assert "已确认 2027 年放假调休安排，重算了 0 个计时器" in html


def test_a_bad_schedule_is_shown_as_form_errors(frozen, admin_client):
    response = admin_client.post(
        reverse("calendar_confirm"),
        {"year": "2027", "schedule_text": "2027-02-14 班\n春节 放七天"},
    )
    assert response.status_code == 400
    assert "第 2 行无法识别" in response.text
    assert "is-invalid" in response.text
    assert not CalendarYear.objects.filter(year=2027, provisional=False).exists()


def test_an_empty_schedule_is_refused(frozen, admin_client):
    response = admin_client.post(reverse("calendar_confirm"), {"year": "2027"})
    assert response.status_code == 400
    assert "is-invalid" in response.text


def test_non_staff_may_not_edit_the_calendar(frozen, clerk_client):
    response = clerk_client.post(
        reverse("calendar_set_day"), {"day": "2026-11-24", "is_working": "0"}
    )
    assert response.status_code == 403
    response = clerk_client.post(
        reverse("calendar_confirm"), {"year": "2027", "schedule_text": SCHEDULE_2027}
    )
    assert response.status_code == 403
    assert not CalendarDay.objects.filter(is_override=True).exists()


def test_the_head_of_customer_service_may_edit_the_calendar(frozen, client, tree):
    client.force_login(make_user("head", tree["hq"], Role.HEAD_OF_CS))
    assert "单日调整" in client.get(reverse("calendar")).text
    response = client.post(reverse("calendar_set_day"), {"day": "2026-12-26", "is_working": "1"})
    assert response.status_code == 302
    assert CalendarDay.objects.get(date=date(2026, 12, 26)).is_working


# --- language ------------------------------------------------------------------------------------


def test_chinese_is_the_default_language(clerk_client):
    html = clerk_client.get(reverse("my_work")).text
    assert 'lang="zh-Hans"' in html
    assert "我的工作" in html


def test_switching_to_english_renders_an_english_ui(frozen, clerk_client, clerk, tree):
    _three_deadlines(tree, clerk)
    response = clerk_client.post(
        reverse("set_language"), {"language": "en", "next": reverse("my_work")}
    )
    assert response.status_code == 302
    html = clerk_client.get(reverse("my_work")).text
    assert 'lang="en"' in html
    assert "My work" in html
    assert "Overdue" in html
    assert "working day" in html
    assert "我的工作" not in html
