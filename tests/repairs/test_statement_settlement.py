"""Money does not stop at the signature (issue 15, item 4). 每月底…将汇总表提交给分公司经理签名
确认，将确认结果提交销售调度部，由相应的调度员与财务协商划账: the branch manager is told a final
statement waits for their signature; customer service hands the signed statement over to sales
dispatch; the dispatcher records the transfer agreed with finance, once; the branch sees where it
is."""

import threading
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import F, Sum
from django.test import RequestFactory
from django.urls import reverse
from django_fsm import TransitionNotAllowed

from network.choices import Role
from network.selectors import roles_of
from repairs.choices import StatementState
from repairs.models import MonthlyStatement, StatementLine
from repairs.selectors.work import StatementHandOverProvider, StatementSettlementProvider
from repairs.services import orders as ro
from repairs.statement_exports import statement_pdf, statement_xlsx
from service_ops.notifications.models import Notification
from service_ops.templatetags.service_ops_tags import main_nav
from service_ops.transitions.services import log_of
from tests.factories import make_user
from tests.repairs.test_orders import _ship_with_quote
from tests.repairs.test_statement_billing import billable_total

Z = ZoneInfo("Asia/Shanghai")
NOVEMBER = date(2026, 11, 1)
HTMX = {"HTTP_HX_REQUEST": "true"}


def at(*args):
    return time_machine.travel(datetime(*args, tzinfo=Z), tick=False)


def _people(net):
    net.dispatcher = make_user("dispatcher", net.hq, Role.SALES_DISPATCHER, email=True)
    net.finance = make_user("finance", net.hq, Role.FINANCE, email=True)
    return net


@pytest.fixture
def flow(net):
    """Two paid units of 长沙 shipped in November; sales dispatch and finance at headquarters."""
    _people(net)
    _ship_with_quote(net, "S1", Decimal("80"), Decimal("120.50"), datetime(2026, 11, 10, tzinfo=Z))
    _ship_with_quote(net, "S2", Decimal("300"), Decimal("45"), datetime(2026, 11, 27, tzinfo=Z))
    return net


def _asks(user, statement):
    """The user's open in-app 待办 about the statement."""
    return Notification.objects.filter(
        recipient=user,
        channel="in_app",
        source_id=statement.pk,
        category="statement",
        needs_action=True,
        done_at__isnull=True,
    )


def _signed_and_handed_over(net) -> MonthlyStatement:
    with at(2026, 12, 1, 9):
        statement = ro.statement_build(branch=net.cs, month=NOVEMBER, actor=net.clerk)
        ro.statement_confirm(statement_id=statement.pk, actor=net.cs_manager)
        return ro.statement_hand_over(statement_id=statement.pk, actor=net.clerk)


def _settle(net, statement, actor=None, **overrides):
    data = {
        "settled_on": date(2026, 12, 4),
        "amount": statement.total,
        "reference": "HZ-2026-1204-01",
        "note": "",
    }
    data.update(overrides)
    with at(2026, 12, 5, 10):
        return ro.statement_settle(statement_id=statement.pk, actor=actor or net.dispatcher, **data)


# --- the services --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_final_build_asks_the_branch_manager_to_sign_and_a_rebuild_replaces_the_ask(flow):
    net = flow
    with at(2026, 11, 20, 10):  # mid-month: not final, nobody is asked yet
        draft = ro.statement_build(branch=net.cs, month=NOVEMBER, actor=net.clerk)
    assert not _asks(net.cs_manager, draft).exists()
    with at(2026, 12, 1, 9):
        ro.statement_build(branch=net.cs, month=NOVEMBER, actor=net.clerk)
        (ask,) = _asks(net.cs_manager, draft)
        assert "待您签字确认" in ask.subject and "长沙分公司" in ask.subject
        assert "¥545.50" in ask.subject and ask.url == draft.get_absolute_url()
        ro.statement_build(branch=net.cs, month=NOVEMBER, actor=net.clerk)  # rebuilt: one ask
        assert _asks(net.cs_manager, draft).count() == 1
        assert not _asks(net.gz_manager, draft).exists()  # another branch's manager
        ro.statement_confirm(statement_id=draft.pk, actor=net.cs_manager)
    assert not _asks(net.cs_manager, draft).exists()  # signed: done
    assert _asks(net.clerk, draft).filter(subject__contains="待提交销售调度部").exists()


@pytest.mark.django_db
def test_signed_handed_over_and_settled_the_sum_is_the_statement_lines(flow):
    net = flow
    statement = _signed_and_handed_over(net)
    assert statement.state == StatementState.HANDED_OVER
    assert statement.handed_over_by == net.clerk
    assert not _asks(net.clerk, statement).exists()  # the clerk's hand-over ask is done
    (ask,) = _asks(net.dispatcher, statement)
    assert "待划账" in ask.subject

    settled = _settle(net, statement)
    direct = StatementLine.objects.filter(statement=statement).aggregate(
        s=Sum(F("repair_fee") + F("parts_fee"))
    )["s"]
    assert settled.state == StatementState.SETTLED
    assert settled.settled_amount == settled.total == direct == billable_total(net.cs, NOVEMBER)
    assert settled.settled_amount == Decimal("545.50") and settled.settlement_difference == 0
    assert (settled.settled_on, settled.settlement_reference) == (
        date(2026, 12, 4),
        "HZ-2026-1204-01",
    )
    assert settled.settled_by == net.dispatcher and settled.settled_at is not None
    assert [e.transition for e in log_of(settled)] == ["confirm", "hand_over", "settle"]
    assert not _asks(net.dispatcher, statement).exists()
    for person in (net.cs_manager, net.finance):  # told, nothing to do
        assert Notification.objects.filter(
            recipient=person, channel="in_app", subject__contains="已划账", needs_action=False
        ).exists()
    with pytest.raises(ValidationError, match="不能修改"):  # still locked
        ro.statement_build(branch=net.cs, month=NOVEMBER, actor=net.clerk)


@pytest.mark.django_db
def test_only_customer_service_hands_over_and_only_a_signed_statement(flow):
    net = flow
    with at(2026, 12, 1, 9):
        statement = ro.statement_build(branch=net.cs, month=NOVEMBER, actor=net.clerk)
        with pytest.raises(TransitionNotAllowed):  # not signed yet
            ro.statement_hand_over(statement_id=statement.pk, actor=net.clerk)
        ro.statement_confirm(statement_id=statement.pk, actor=net.cs_manager)
        for outsider in (net.cs_manager, net.dispatcher, net.tech):
            with pytest.raises(PermissionDenied):
                ro.statement_hand_over(statement_id=statement.pk, actor=outsider)
        net.dispatcher.role_assignments.all().delete()  # nobody in sales dispatch to take it
        with pytest.raises(ValidationError, match="没有负责"):
            ro.statement_hand_over(statement_id=statement.pk, actor=net.clerk)
    statement.refresh_from_db()
    assert statement.state == StatementState.CONFIRMED


@pytest.mark.django_db
def test_a_branch_manager_dealer_technician_or_finance_cannot_settle(flow):
    net = flow
    statement = _signed_and_handed_over(net)
    gd_dispatcher = make_user("gd_dispatcher", net.hq, Role.SALES_DISPATCHER, role_unit=net.gd)
    for who in (net.cs_manager, net.dealer_user, net.tech, net.finance, net.clerk, gd_dispatcher):
        with pytest.raises(PermissionDenied):
            _settle(net, statement, actor=who)
    statement.refresh_from_db()
    assert statement.state == StatementState.HANDED_OVER and statement.settled_amount is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"reference": "  "}, "reference", "请填写划账凭证号"),
        ({"settled_on": date(2026, 12, 6)}, "settled_on", "划账日期不能晚于今天"),
        ({"settled_on": None}, "settled_on", "请填写划账日期"),
        ({"settled_on": date(2026, 11, 30)}, "settled_on", "不能早于分公司经理确认日期"),
        ({"amount": Decimal("-1")}, "amount", "划账金额不能为负数"),
        ({"amount": None}, "amount", "请填写划账金额"),
        ({"amount": Decimal("500")}, "note", "不符：请在说明中写明差额原因"),
    ],
)
def test_bad_settlement_input_is_refused_in_chinese(flow, overrides, field, message):
    net = flow
    statement = _signed_and_handed_over(net)
    with pytest.raises(ValidationError) as refused:
        _settle(net, statement, **overrides)
    assert message in " ".join(refused.value.message_dict[field])
    statement.refresh_from_db()
    assert statement.state == StatementState.HANDED_OVER


@pytest.mark.django_db
def test_an_amount_other_than_the_total_is_recorded_with_its_reason(flow):
    net = flow
    statement = _signed_and_handed_over(net)
    settled = _settle(net, statement, amount=Decimal("500.00"), note="S2 运费 45.50 元另行结算")
    assert settled.settlement_difference == Decimal("-45.50")
    assert settled.settlement_note == "S2 运费 45.50 元另行结算"
    informed = Notification.objects.get(
        recipient=net.finance, channel="in_app", subject__contains="已划账"
    )
    assert "相差 ¥-45.50" in informed.body


@pytest.mark.django_db
def test_a_second_settlement_is_refused_and_changes_nothing(flow):
    net = flow
    statement = _signed_and_handed_over(net)
    _settle(net, statement)
    with pytest.raises(TransitionNotAllowed):
        _settle(net, statement, amount=Decimal("1"), note="再次登记", reference="DUP-2")
    statement.refresh_from_db()
    assert (statement.settled_amount, statement.settlement_reference) == (
        Decimal("545.50"),
        "HZ-2026-1204-01",
    )
    assert [e.transition for e in log_of(statement)].count("settle") == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_settling_at_once_one_wins_the_other_is_refused(net):
    _people(net)
    other = make_user("dispatcher2", net.hq, Role.SALES_DISPATCHER, email=True)
    _ship_with_quote(net, "C1", Decimal("80"), Decimal("20"), datetime(2026, 11, 10, tzinfo=Z))
    statement = _signed_and_handed_over(net)
    barrier = threading.Barrier(2)
    results = {}

    def settle(who, reference):
        try:
            barrier.wait()
            ro.statement_settle(
                statement_id=statement.pk,
                actor=who,
                settled_on=date(2026, 12, 1),
                amount=Decimal("100.00"),
                reference=reference,
            )
            results[reference] = "won"
        except TransitionNotAllowed:
            results[reference] = "refused"
        finally:
            connection.close()

    threads = [
        threading.Thread(target=settle, args=(who, ref))
        for who, ref in ((net.dispatcher, "REF-A"), (other, "REF-B"))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values()) == ["refused", "won"]
    statement.refresh_from_db()
    winner = next(ref for ref, outcome in results.items() if outcome == "won")
    assert statement.settlement_reference == winner
    assert [e.transition for e in log_of(statement)].count("settle") == 1


# --- who sees what -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_branch_sees_its_own_statements_and_sales_dispatch_and_finance_see_all(net):
    _people(net)
    cs = ro.statement_build(branch=net.cs, month=NOVEMBER, actor=net.clerk)
    gz = ro.statement_build(branch=net.gz, month=NOVEMBER, actor=net.clerk)
    gd_dispatcher = make_user("gd_dispatcher", net.gd, Role.SALES_DISPATCHER)

    def sees(user):
        return set(MonthlyStatement.objects.visible_to(user))

    assert sees(net.cs_manager) == sees(net.cs_engineer) == {cs}
    assert sees(net.gz_manager) == sees(net.gz_engineer) == {gz}
    assert sees(net.dealer_user) == set()
    assert sees(net.dispatcher) == sees(net.finance) == sees(net.head) == {cs, gz}
    assert sees(gd_dispatcher) == {gz}  # a province's own dispatcher: its branches only


@pytest.mark.django_db
def test_the_clerk_and_the_dispatcher_find_the_statement_in_their_work(flow):
    net = flow
    now = datetime(2026, 12, 1, 10, tzinfo=Z)
    with at(2026, 12, 1, 9):
        statement = ro.statement_build(branch=net.cs, month=NOVEMBER, actor=net.clerk)
        ro.statement_confirm(statement_id=statement.pk, actor=net.cs_manager)
    (item,) = StatementHandOverProvider().items(net.clerk, now=now, limit=10)
    assert "待提交销售调度部" in item.what and item.url == statement.get_absolute_url()
    assert StatementSettlementProvider().items(net.dispatcher, now=now, limit=10) == []
    with at(2026, 12, 1, 10):
        ro.statement_hand_over(statement_id=statement.pk, actor=net.clerk)
    assert StatementHandOverProvider().items(net.clerk, now=now, limit=10) == []
    (item,) = StatementSettlementProvider().items(net.dispatcher, now=now, limit=10)
    assert "待划账" in item.what and "¥545.50" in item.what
    for nobody in (net.finance, net.cs_manager, net.clerk):
        assert StatementSettlementProvider().items(nobody, now=now, limit=10) == []


@pytest.mark.django_db
def test_sales_dispatch_and_finance_have_the_statements_in_their_menu(net):
    _people(net)
    for user in (net.dispatcher, net.finance):
        request = RequestFactory().get("/")
        request.user = user
        menu = [i["url"] for i in main_nav({"request": request, "my_roles": roles_of(user)})]
        assert reverse("repairs:statement_list") in menu


# --- the pages and the exports -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who", ["clerk", "head", "cs_manager", "cs_engineer", "dispatcher", "finance", "repair_sup"]
)
def test_the_pages_render_the_state_and_the_transfer_for_each_role(client, flow, who):
    net = flow
    statement = _signed_and_handed_over(net)
    _settle(net, statement, amount=Decimal("500.00"), note="运费另计")
    user = getattr(net, who)
    client.force_login(user)
    listing = client.get(reverse("repairs:statement_list"))
    assert listing.status_code == 200
    assert "已划账" in listing.text and "HZ-2026-1204-01" in listing.text
    page = client.get(statement.get_absolute_url())
    assert page.status_code == 200
    for text in ("已划账", "2026-12-04", "¥500.00", "HZ-2026-1204-01", "运费另计", "相差"):
        assert text in page.text, (who, text)
    assert reverse("repairs:statement_settle", args=[statement.pk]) not in page.text


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["gz_manager", "dealer_user", "dealer2_user"])
def test_other_branches_and_partners_get_404(client, flow, who):
    net = flow
    statement = _signed_and_handed_over(net)
    client.force_login(getattr(net, who))
    assert client.get(statement.get_absolute_url()).status_code == 404
    assert client.post(reverse("repairs:statement_settle", args=[statement.pk])).status_code == 404
    assert "长沙分公司" not in client.get(reverse("repairs:statement_list")).text


@pytest.mark.django_db
def test_the_web_way_from_signature_to_transfer(client, flow):
    net = flow
    with at(2026, 12, 1, 9):
        statement = ro.statement_build(branch=net.cs, month=NOVEMBER, actor=net.clerk)
    hand_over = reverse("repairs:statement_hand_over", args=[statement.pk])
    settle = reverse("repairs:statement_settle", args=[statement.pk])

    client.force_login(net.cs_manager)
    page = client.get(statement.get_absolute_url()).text
    assert "待确认" in page and hand_over not in page and settle not in page
    with at(2026, 12, 1, 10):
        client.post(reverse("repairs:statement_confirm", args=[statement.pk]))
    assert client.post(hand_over).status_code == 403  # customer service's step

    client.force_login(net.clerk)
    page = client.get(statement.get_absolute_url()).text
    assert "已确认" in page and hand_over in page
    with at(2026, 12, 1, 11):
        response = client.post(hand_over, follow=True)
    assert "已将" in response.text and "已交调度" in response.text
    assert client.post(hand_over, **HTMX).status_code == 409  # done already

    client.force_login(net.cs_manager)  # the branch sees where it is, and cannot settle
    assert "已交调度" in client.get(reverse("repairs:statement_list")).text
    assert client.post(settle, {"reference": "X"}).status_code == 403

    client.force_login(net.dispatcher)
    page = client.get(statement.get_absolute_url()).text
    assert settle in page and 'value="545.50"' in page
    with at(2026, 12, 5, 10):
        bad = client.post(
            settle, {"settled_on": "2026-12-09", "amount": "-5", "reference": "", "note": ""}
        )
        assert bad.status_code == 400
        for message in ("划账日期不能晚于今天", "请填写划账凭证号"):
            assert message in bad.text
        negative = client.post(
            settle, {"settled_on": "2026-12-04", "amount": "-5", "reference": "R1", "note": ""}
        )
        assert negative.status_code == 400 and "划账金额不能为负数" in negative.text
        differs = client.post(
            settle, {"settled_on": "2026-12-04", "amount": "500", "reference": "R1", "note": ""}
        )
        assert differs.status_code == 400 and "请在说明中写明差额原因" in differs.text
        good = {"settled_on": "2026-12-04", "amount": "545.50", "reference": "R1", "note": ""}
        response = client.post(settle, good)
        assert response.status_code == 302
        assert client.post(settle, good, **HTMX).status_code == 409  # a second time
    statement.refresh_from_db()
    assert statement.state == StatementState.SETTLED and statement.settlement_reference == "R1"


@pytest.mark.django_db
def test_the_exports_print_the_transfer_once_settled(flow):
    from openpyxl import load_workbook

    net = flow
    statement = _signed_and_handed_over(net)

    def texts(s):
        rows = load_workbook(BytesIO(statement_xlsx(s))).active.iter_rows(values_only=True)
        return [r[0] for r in rows if isinstance(r[0], str)]

    before = texts(statement)
    assert "状态：已交调度" in before
    assert any(t.startswith("提交销售调度部：clerk") for t in before)
    assert not any(t.startswith("划账：") for t in before)
    settled = _settle(net, statement, amount=Decimal("500"), note="运费<另计>&")
    after = texts(settled)
    (line,) = [t for t in after if t.startswith("划账：")]
    assert "2026-12-04" in line and "¥500.00" in line and "HZ-2026-1204-01" in line
    assert "相差 ¥-45.50" in line and "运费<另计>&" in line
    assert "状态：已划账" in after
    pdf = statement_pdf(settled)
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
