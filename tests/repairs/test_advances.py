"""Advances (借支, issue 22 item 1): the approval chain runs as data (supervisor → head of
customer service → finance above the threshold), each step has an escalating timer, finance pays
and the advance stays outstanding until repaid or settled by claims; reminders; the ageing list
equals a direct count; who sees what; concurrent signers; constant query counts."""

import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django_fsm import TransitionNotAllowed
from openpyxl import load_workbook

from network.choices import Role
from repairs.choices import AdvanceState, MoneyDocKind
from repairs.models import Advance, MoneyChainTemplate, MoneyPolicy, MoneyStepTemplate
from repairs.selectors import advances as sel
from repairs.services import advances as money
from service_ops.deadlines.models import Deadline, DeadlineAction, DeadlineStatus
from service_ops.deadlines.sweep import sweep_deadlines
from service_ops.notifications.models import Notification
from service_ops.transitions.models import TransitionLog
from service_ops.work import work_of
from tests.factories import make_user
from tests.repairs.money_factory import finance, paid_advance, pending, sign_through

Z = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _advance(user, amount="2000", **kw):
    return money.advance_create(
        requester=user, amount=Decimal(amount), purpose="湛江上门", trip_destination="湛江", **kw
    )


def test_the_chain_runs_as_data_from_the_supervisor_to_the_head_of_cs(net):
    finance(net)
    advance = _advance(net.gz_engineer, submit=True)
    assert advance.state == AdvanceState.SUBMITTED
    steps = list(advance.steps.order_by("position"))
    assert [(s.role, s.org_unit) for s in steps] == [
        (Role.BRANCH_MANAGER, net.gz),
        (Role.HEAD_OF_CS, net.hq),
    ]
    assert Notification.objects.filter(recipient=net.gz_manager, subject__contains="待您审批")
    # the supervisor's step sits in their 我的工作 with its timer
    items = [i for i in work_of(net.gz_manager).items if i.kind == "repairs.money_steps"]
    assert len(items) == 1 and items[0].deadline is not None
    with pytest.raises(PermissionDenied):
        money.money_decide(step_id=steps[0].pk, actor=net.head, approve=True)
    advance = sign_through(advance)
    assert advance.state == AdvanceState.APPROVED
    assert Notification.objects.filter(recipient=net.finance, subject__contains="待付款").exists()
    items = [i for i in work_of(net.finance).items if i.kind == "repairs.money_pay"]
    assert [i.key for i in items] == [f"repairs.advance_pay:{advance.pk}"]


def test_an_edited_chain_template_changes_later_submissions_only(net):
    running = _advance(net.gz_engineer, submit=True)
    chain = MoneyChainTemplate.objects.get(kind=MoneyDocKind.ADVANCE)
    MoneyStepTemplate.objects.create(
        chain=chain,
        position=9,
        name="省区经理审批",
        role=Role.PROVINCIAL_MANAGER,
        holder_scope="requester_unit",
    )
    later = _advance(net.gz_engineer, submit=True)
    assert running.steps.count() == 2
    assert [s.role for s in later.steps.order_by("position")][-1] == Role.PROVINCIAL_MANAGER


def test_an_amount_above_the_threshold_adds_finance_to_the_chain(net):
    finance(net)
    policy = MoneyPolicy.current()
    assert policy.finance_threshold == Decimal("5000.00")
    at_threshold = _advance(net.gz_engineer, amount="5000", submit=True)
    above = _advance(net.gz_engineer, amount="5000.01", submit=True)
    assert Role.FINANCE not in {s.role for s in at_threshold.steps.all()}
    assert [s.role for s in above.steps.order_by("position")] == [
        Role.BRANCH_MANAGER,
        Role.HEAD_OF_CS,
        Role.FINANCE,
    ]
    above = sign_through(above)
    assert above.state == AdvanceState.APPROVED


def test_headquarters_staff_have_no_branch_manager_step_and_nobody_signs_their_own(net):
    clerk_advance = _advance(net.clerk, submit=True)
    assert [s.role for s in clerk_advance.steps.all()] == [Role.HEAD_OF_CS]
    assert clerk_advance.branch is None
    manager_advance = _advance(net.gz_manager, submit=True)
    assert [s.role for s in manager_advance.steps.all()] == [Role.HEAD_OF_CS]


def test_a_rejected_advance_goes_back_and_a_resubmission_gets_fresh_steps(net):
    advance = _advance(net.gz_engineer, submit=True)
    with pytest.raises(ValidationError):
        money.money_decide(step_id=pending(advance).pk, actor=net.gz_manager, approve=False)
    money.money_decide(
        step_id=pending(advance).pk, actor=net.gz_manager, approve=False, comment="金额偏高"
    )
    advance.refresh_from_db()
    assert advance.state == AdvanceState.REJECTED and advance.reject_reason == "金额偏高"
    items = [i for i in work_of(net.gz_engineer).items if i.kind == "repairs.money_returned"]
    assert len(items) == 1
    money.advance_submit(advance_id=advance.pk, actor=net.gz_engineer)
    advance.refresh_from_db()
    assert advance.round == 2 and pending(advance).round == 2


def test_bad_input_is_refused_with_field_errors(net):
    with pytest.raises(ValidationError) as exc:
        money.advance_create(requester=net.gz_engineer, amount=Decimal("0"), purpose="")
    assert {"amount", "purpose", "trip_destination"} <= set(exc.value.message_dict)
    with pytest.raises(PermissionDenied):
        _advance(net.dealer_user)


def test_finance_pays_and_repayment_settles_the_advance(net):
    advance = paid_advance(net, net.gz_engineer, "3000", paid_on=date.today())
    assert advance.state == AdvanceState.PAID and advance.outstanding == Decimal("3000")
    with pytest.raises(PermissionDenied):
        money.advance_repay(
            advance_id=advance.pk,
            actor=net.gz_manager,
            amount=Decimal("1"),
            paid_on=date.today(),
            method="cash",
        )
    with pytest.raises(ValidationError):
        money.advance_repay(
            advance_id=advance.pk,
            actor=net.finance,
            amount=Decimal("3000.01"),
            paid_on=date.today(),
            method="cash",
        )
    advance = money.advance_repay(
        advance_id=advance.pk,
        actor=net.finance,
        amount=Decimal("1000"),
        paid_on=date.today(),
        method="cash",
    )
    assert advance.state == AdvanceState.PARTIALLY_SETTLED
    assert advance.outstanding == Decimal("2000")
    advance = money.advance_repay(
        advance_id=advance.pk,
        actor=net.finance,
        amount=Decimal("2000"),
        paid_on=date.today(),
        method="bank",
    )
    assert advance.state == AdvanceState.SETTLED and advance.outstanding == 0
    assert advance.settlements.count() == 2
    with pytest.raises(TransitionNotAllowed):
        money.advance_repay(
            advance_id=advance.pk,
            actor=net.finance,
            amount=Decimal("1"),
            paid_on=date.today(),
            method="bank",
        )


def test_paying_twice_is_not_allowed_and_a_future_payment_date_is_refused(net):
    advance = sign_through(_advance(net.gz_engineer, submit=True))
    with pytest.raises(ValidationError):
        money.advance_pay(
            advance_id=advance.pk,
            actor=finance(net),
            paid_on=date.today() + timedelta(days=1),
            method="bank",
        )
    with pytest.raises(PermissionDenied):
        money.advance_pay(
            advance_id=advance.pk, actor=net.gz_manager, paid_on=date.today(), method="bank"
        )
    money.advance_pay(advance_id=advance.pk, actor=net.finance, paid_on=date.today(), method="bank")
    with pytest.raises(TransitionNotAllowed):
        money.advance_pay(
            advance_id=advance.pk, actor=net.finance, paid_on=date.today(), method="bank"
        )


def test_a_stalled_approval_step_warns_then_escalates_to_the_head_of_cs(net):
    start = datetime(2026, 11, 23, 10, tzinfo=Z)  # Monday
    with time_machine.travel(start, tick=False):
        _advance(net.gz_engineer, submit=True)
    deadline = Deadline.objects.get(kind="money.approval_step", status="running")
    assert deadline.assignee == net.gz_manager
    assert deadline.due_at == datetime(2026, 11, 25, 18, tzinfo=Z)  # 2 working days
    sweep_deadlines(now=datetime(2026, 11, 24, 18, 1, tzinfo=Z))  # one working day left: warn
    sweep_deadlines(now=datetime(2026, 11, 25, 18, 1, tzinfo=Z))
    deadline.refresh_from_db()
    assert deadline.status == DeadlineStatus.BREACHED
    for _ in range(2):
        sweep_deadlines(now=datetime(2026, 11, 26, 18, 1, tzinfo=Z))
    levels = sorted(
        DeadlineAction.objects.filter(deadline=deadline).values_list("level", flat=True)
    )
    assert levels == [1, 2, 3]
    assert (
        Notification.objects.filter(
            recipient=net.head, channel="in_app", subject__contains="超期升级"
        ).count()
        == 1
    )


def test_outstanding_advances_are_reminded_to_holder_and_supervisor_once_a_week(net):
    today = date(2026, 11, 23)
    with time_machine.travel(datetime(2026, 11, 23, 9, tzinfo=Z), tick=False):
        old = paid_advance(net, net.gz_engineer, "800", paid_on=today - timedelta(days=31))
        paid_advance(net, net.gz_engineer, "500", paid_on=today - timedelta(days=30))
        assert money.send_advance_reminders() == 1
        assert money.send_advance_reminders() == 0
    assert Notification.objects.filter(
        recipient=net.gz_engineer, channel="in_app", subject__contains=old.number
    ).exists()
    assert Notification.objects.filter(
        recipient=net.gz_manager, channel="in_app", subject__contains=old.number
    ).exists()
    with time_machine.travel(datetime(2026, 11, 30, 9, 1, tzinfo=Z), tick=False):
        assert money.send_advance_reminders() == 2  # a week later: again, and the second now too


def test_the_ageing_figures_equal_a_direct_count(net):
    today = date.today()
    hz = net.gz  # a second person in 广州 and one at HQ
    other = make_user("gz_engineer2", hz, Role.BRANCH_ENGINEER)
    ages = {net.gz_engineer: [0, 30, 31, 75, 91, 200], other: [45, 61, 90], net.clerk: [5, 120]}
    for person, days_list in ages.items():
        for days in days_list:
            paid_advance(net, person, "1000", paid_on=today - timedelta(days=days))
    # a part-settled one and a settled one
    part = Advance.objects.filter(requester=other).order_by("pk").first()
    money.advance_repay(
        advance_id=part.pk, actor=net.finance, amount=Decimal("400"), paid_on=today, method="cash"
    )
    done = Advance.objects.filter(requester=net.clerk).order_by("pk").first()
    money.advance_repay(
        advance_id=done.pk, actor=net.finance, amount=Decimal("1000"), paid_on=today, method="cash"
    )

    rows, totals = sel.ageing_summary(net.finance, today=today)
    direct = {"b0": Decimal(0), "b31": Decimal(0), "b61": Decimal(0), "b90": Decimal(0)}
    counts = dict.fromkeys(direct, 0)
    for a in Advance.objects.all():
        if a.state not in (AdvanceState.PAID, AdvanceState.PARTIALLY_SETTLED):
            continue
        key = sel.bucket_of((today - a.paid_on).days)
        direct[key] += a.amount - a.settled_amount
        counts[key] += 1
    for key in direct:
        assert totals[key] == direct[key], key
        assert totals[f"{key}_n"] == counts[key], key
    assert totals["total"] == sum(direct.values()) == Decimal("9600")
    by_branch = {r.label: r.figures["total"] for r in rows}
    assert by_branch == {"广州分公司": Decimal("8600"), "总部": Decimal("1000")}
    people, _totals = sel.ageing_summary(net.finance, today=today, by="person")
    assert sum(r.figures["total"] for r in people) == totals["total"]
    # the bucket filter of the list holds exactly the bucket's advances
    for key in direct:
        assert sel.outstanding_advances(net.finance, today=today, bucket=key).count() == counts[key]

    # the Excel holds every outstanding advance and the same totals
    workbook = load_workbook(BytesIO(_ageing_export(net)))
    sheet = workbook.worksheets[0]
    assert sheet.max_row - 1 == sum(counts.values())
    assert sum(Decimal(str(r[10].value)) for r in sheet.iter_rows(min_row=2)) == totals["total"]


def _ageing_export(net):
    from repairs.views.advances import ageing_xlsx

    return ageing_xlsx(net.finance)


def test_an_engineer_sees_their_own_a_branch_manager_their_branch_finance_all(net):
    mine = _advance(net.gz_engineer, submit=True)
    colleague = make_user("gz_engineer2", net.gz, Role.BRANCH_ENGINEER)
    theirs = _advance(colleague)
    elsewhere = _advance(net.cs_engineer)
    hq = _advance(net.clerk)

    def seen(user):
        return set(Advance.objects.visible_to(user).values_list("pk", flat=True))

    assert seen(net.gz_engineer) == {mine.pk}
    assert seen(net.gz_manager) == {mine.pk, theirs.pk}
    assert seen(net.cs_manager) == {elsewhere.pk}
    assert seen(finance(net)) == {mine.pk, theirs.pk, elsewhere.pk, hq.pk}
    assert seen(net.head) == {mine.pk, theirs.pk, elsewhere.pk, hq.pk}
    assert seen(net.dealer_user) == set()
    assert seen(net.tech) == set()  # HQ staff without a money role: their own only


def test_pages_answer_404_outside_scope_and_the_owner_sees_the_chain(client, net):
    advance = _advance(net.gz_engineer, submit=True)
    client.force_login(net.cs_engineer)
    assert client.get(reverse("repairs:advance_detail", args=[advance.pk])).status_code == 404
    client.force_login(net.gz_engineer)
    page = client.get(reverse("repairs:advance_detail", args=[advance.pk]))
    assert page.status_code == 200
    assert "现在在谁手上" in page.text and net.gz_manager.username in page.text
    client.force_login(net.gz_manager)
    step = pending(advance)
    response = client.post(
        reverse("repairs:money_step_decide", args=[step.pk]), {"decision": "approve"}
    )
    assert response.status_code == 302
    again = client.post(
        reverse("repairs:money_step_decide", args=[step.pk]), {"decision": "approve"}
    )
    assert again.status_code == 409


def test_an_engineer_requests_an_advance_from_the_phone_form(client, net):
    client.force_login(net.gz_engineer)
    assert client.get(reverse("repairs:advance_new")).status_code == 200
    bad = client.post(reverse("repairs:advance_new"), {"amount": "", "purpose": ""})
    assert bad.status_code == 400
    response = client.post(
        reverse("repairs:advance_new"),
        {"amount": "1500", "purpose": "湛江三台上门", "trip_destination": "湛江", "submit": "1"},
    )
    assert response.status_code == 302
    advance = Advance.objects.get(requester=net.gz_engineer)
    assert advance.state == AdvanceState.SUBMITTED


def test_the_lists_keep_a_constant_query_count(client, net, django_assert_max_num_queries):
    finance(net)
    for _ in range(3):
        paid_advance(net, net.gz_engineer, "100", paid_on=date.today() - timedelta(days=40))
    pages = [
        reverse("repairs:advance_list"),
        reverse("repairs:money_ageing"),
        reverse("repairs:money_desk"),
        reverse("repairs:money_approvals"),
    ]
    client.force_login(net.finance)
    counts = {}
    for url in pages:
        with django_assert_max_num_queries(40) as ctx:
            assert client.get(url).status_code == 200
        counts[url] = len(ctx.captured_queries)
    for _ in range(6):
        paid_advance(net, net.gz_engineer, "100", paid_on=date.today() - timedelta(days=70))
        _advance(net.cs_engineer, submit=True)
    for url in pages:
        with django_assert_max_num_queries(counts[url]):
            assert client.get(url).status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_of_one_step_apply_once(net):
    advance = _advance(net.gz_engineer, submit=True)
    step_id = pending(advance).pk
    barrier = threading.Barrier(10)
    outcomes = []

    def sign():
        try:
            barrier.wait()
            money.money_decide(step_id=step_id, actor=net.gz_manager, approve=True)
            outcomes.append("ok")
        except TransitionNotAllowed:
            outcomes.append("conflict")
        except Exception as exc:
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=sign) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1 and outcomes.count("conflict") == 9
    assert (
        TransitionLog.objects.filter(
            object_type__model="moneystep", object_id=step_id, transition="approve"
        ).count()
        == 1
    )
    advance.refresh_from_db()
    assert advance.steps.filter(state="pending").count() == 1  # the head of CS's, opened once
