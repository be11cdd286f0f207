"""OEM backup units (江淮备用机, issue 22 item 5): a pool held for the car factory, lent to its
4S stores against a failed unit (a swap record with a due-back timer of 20 working days that warns
before and escalates after), taken back good or faulty, the failed unit received and sent back
repaired, and a monthly reconciliation with the OEM (draft → sent → confirmed / disputed)."""

from datetime import date, datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_fsm import TransitionNotAllowed
from openpyxl import load_workbook

from repairs.choices import BackupSwapState, BackupUnitState, OemReconciliationState
from repairs.models import BackupSwap, BackupUnit, OemCustomer, OemReconciliation, OemStore
from repairs.selectors.oem import reconciliation_figures
from repairs.services import oem as svc
from service_ops.deadlines.models import DeadlineStatus
from service_ops.deadlines.services import open_deadlines_of
from service_ops.deadlines.sweep import sweep_deadlines
from service_ops.notifications.models import Notification
from service_ops.transitions.services import log_of
from service_ops.work import work_of

Z = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 23, 10, tzinfo=Z)
DUE = date(2026, 12, 21)  # the 20th working day after Monday 23 November 2026


@pytest.fixture
def jac(db):
    oem = OemCustomer.objects.create(code="jac", name="江淮汽车")
    oem.store = OemStore.objects.create(oem=oem, code="JAC-4S-HF01", name="合肥江淮4S店")
    oem.store2 = OemStore.objects.create(oem=oem, code="JAC-4S-WH02", name="芜湖江淮4S店")
    return oem


def add(net, oem, serial, model="NAV-J7"):
    return svc.backup_unit_add(actor=net.clerk, oem=oem, serial_number=serial, product_model=model)


def lend(net, oem, backup, *, store=None, at=MONDAY, actor=None, failed="JH9000001"):
    with time_machine.travel(at, tick=False):
        return svc.backup_swap_lend(
            actor=actor or net.clerk,
            backup_id=backup.pk,
            store=store or oem.store,
            failed_serial=failed,
            failed_model="NAV-J7",
            failed_fault="导航黑屏",
            lent_on=at.date(),
        )


def told(user, text="") -> int:
    return Notification.objects.filter(
        recipient=user, channel="in_app", subject__contains=text
    ).count()


# --- lending and the return ------------------------------------------------------------------


def test_a_backup_lent_to_a_store_is_due_back_in_20_working_days_with_a_timer(net, jac):
    backup = add(net, jac, "bk-0001")
    assert backup.serial_number == "BK-0001" and backup.state == BackupUnitState.IN_POOL
    swap = lend(net, jac, backup)
    assert swap.number.startswith("BS-") and swap.state == BackupSwapState.LENT
    assert swap.due_back == DUE
    backup.refresh_from_db()
    assert backup.state == BackupUnitState.LENT
    timer = open_deadlines_of(swap, kind=svc.BACKUP_KIND).get()
    assert timer.status == DeadlineStatus.RUNNING and timer.assignee == net.clerk
    assert timer.due_at == datetime(2026, 12, 21, 18, tzinfo=Z)
    assert [e.to_state for e in log_of(backup)] == ["lent"]


def test_a_backup_back_in_time_returns_to_the_pool_and_its_timer_is_met(net, jac):
    backup = add(net, jac, "BK-0002")
    swap = lend(net, jac, backup)
    at = MONDAY + timedelta(days=10)
    with time_machine.travel(at, tick=False):
        swap = svc.backup_swap_return(
            swap_id=swap.pk,
            actor=net.clerk,
            returned_on=at.date(),
            condition="good",
            failed_received=True,
        )
    assert swap.state == BackupSwapState.RETURNED and swap.failed_received_on == at.date()
    backup.refresh_from_db()
    assert backup.state == BackupUnitState.IN_POOL
    timer = swap_timer(swap)
    assert timer.status == DeadlineStatus.MET
    with time_machine.travel(at + timedelta(days=5), tick=False):
        swap = svc.backup_swap_send_original(
            swap_id=swap.pk, actor=net.clerk, sent_on=(at + timedelta(days=5)).date()
        )
    assert swap.original_sent_back_on == (at + timedelta(days=5)).date()
    # the pool unit may be lent again
    assert lend(net, jac, backup, at=at + timedelta(days=6)).backup_id == backup.pk


def swap_timer(swap):
    from django.contrib.contenttypes.models import ContentType

    from service_ops.deadlines.models import Deadline

    return Deadline.objects.get(
        owner_type=ContentType.objects.get_for_model(BackupSwap), owner_id=swap.pk
    )


def test_a_backup_not_back_in_time_warns_then_escalates_time_travel(client, net, jac):
    backup = add(net, jac, "BK-0003")
    swap = lend(net, jac, backup)
    timer = swap_timer(swap)
    # a working day before: the coordinator who lent it is warned, and sees it in 我的工作
    warn = datetime(2026, 12, 18, 18, 5, tzinfo=Z)
    before = told(net.clerk)
    sweep_deadlines(now=warn)
    assert told(net.clerk) > before
    with time_machine.travel(warn, tick=False):
        items = [i for i in work_of(net.clerk, now=warn).items if i.kind == "repairs.oem"]
    assert [i.key for i in items] == [f"repairs.oem_swap:{swap.pk}"]
    assert "BK-0003" in items[0].what and items[0].deadline.pk == timer.pk
    # past due: breached, told to the coordinator; the head of CS not yet
    late = datetime(2026, 12, 21, 18, 5, tzinfo=Z)
    clerk_before, head_before = told(net.clerk), told(net.head)
    sweep_deadlines(now=late)
    timer.refresh_from_db()
    assert timer.status == DeadlineStatus.BREACHED
    assert told(net.clerk) > clerk_before and told(net.head) == head_before
    # a working day later, not back: escalated to the head of customer service
    later = datetime(2026, 12, 22, 18, 5, tzinfo=Z)
    sweep_deadlines(now=later)
    timer.refresh_from_db()
    assert timer.level == 3
    escalated = told(net.head)
    assert escalated > head_before
    sweep_deadlines(now=later + timedelta(minutes=5))  # once only
    assert told(net.head) == escalated
    # the overdue list shows it
    with time_machine.travel(later, tick=False):
        client.force_login(net.clerk)
        page = client.get(reverse("repairs:oem_swap_list"), {"overdue": "1"})
        assert page.status_code == 200, page
        assert [s.pk for s in page.context["page"].object_list] == [swap.pk]
        assert swap.get_absolute_url() in page.content.decode()
        detail = client.get(swap.get_absolute_url())
        assert "超期" in detail.content.decode()
        # back late: the timer closes late, the backup comes back faulty and goes to repair
        svc.backup_swap_return(
            swap_id=swap.pk,
            actor=net.clerk,
            returned_on=later.date(),
            condition="faulty",
            note="屏幕碎裂",
        )
    timer.refresh_from_db()
    assert timer.status == DeadlineStatus.LATE
    backup.refresh_from_db()
    assert backup.state == BackupUnitState.RETURNED_FAULTY


def test_a_faulty_backup_goes_to_repair_and_back_to_the_pool_or_is_scrapped(client, net, jac):
    one, two = add(net, jac, "BK-0010"), add(net, jac, "BK-0011")
    for backup in (one, two):
        swap = lend(net, jac, backup, failed=f"JH{backup.pk:07d}")
        with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
            svc.backup_swap_return(
                swap_id=swap.pk,
                actor=net.clerk,
                returned_on=(MONDAY + timedelta(days=1)).date(),
                condition="faulty",
                note="不开机",
            )
    client.force_login(net.repair_sup)
    act = lambda b, a: client.post(reverse("repairs:oem_backup_act", args=[b.pk, a]))  # noqa: E731
    assert act(one, "send_to_repair").status_code == 302
    assert act(one, "repaired").status_code == 302
    assert act(two, "scrap").status_code == 302
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.state, two.state) == (BackupUnitState.IN_POOL, BackupUnitState.SCRAPPED)
    assert act(two, "repaired").status_code == 302  # refused: not under repair
    two.refresh_from_db()
    assert two.state == BackupUnitState.SCRAPPED
    assert (
        client.post(
            reverse("repairs:oem_backup_act", args=[two.pk, "repaired"]), HTTP_HX_REQUEST="true"
        ).status_code
        == 409
    )
    page = client.get(reverse("repairs:oem_backup_list"), {"state": "scrapped"})
    assert [b.pk for b in page.context["page"].object_list] == [two.pk]


def test_lending_refuses_a_lent_backup_a_foreign_store_and_bad_input(client, net, jac):
    byd = OemCustomer.objects.create(code="byd", name="比亚迪")
    foreign = OemStore.objects.create(oem=byd, code="BYD-1", name="比亚迪4S店")
    backup = add(net, jac, "BK-0020")
    with pytest.raises(ValidationError) as err:
        lend(net, jac, backup, store=foreign)
    assert "门店须属于该备用机的车厂" in str(err.value)
    with pytest.raises(PermissionDenied):
        lend(net, jac, backup, actor=net.tech)
    lend(net, jac, backup)
    with pytest.raises(TransitionNotAllowed):
        lend(net, jac, backup, store=jac.store2)
    assert BackupSwap.objects.count() == 1
    other = add(net, jac, "BK-0021")
    client.force_login(net.clerk)
    url = reverse("repairs:oem_backup_lend", args=[other.pk])
    assert client.get(url).status_code == 200
    bad = client.post(
        url,
        {
            "store": jac.store.pk,
            "failed_serial": "BK-0021",
            "failed_fault": "",
            "lent_on": "2099-01-01",
        },
    )
    text = bad.content.decode()
    assert bad.status_code == 400
    assert "请填写故障现象" in text
    ok = client.post(
        url,
        {
            "store": jac.store2.pk,
            "failed_serial": "JH9000777",
            "failed_fault": "无声音",
            "lent_on": date.today().isoformat(),
        },
    )
    swap = BackupSwap.objects.get(backup=other)
    assert ok.status_code == 302 and ok["Location"] == swap.get_absolute_url()
    assert swap.store == jac.store2


def test_the_return_form_checks_its_dates_and_a_faulty_return_needs_a_note(client, net, jac):
    swap = lend(net, jac, add(net, jac, "BK-0030"))
    client.force_login(net.clerk)
    url = reverse("repairs:oem_swap_act", args=[swap.pk, "return"])
    with time_machine.travel(MONDAY + timedelta(days=2), tick=False):
        bad = client.post(url, {"returned_on": "2026-11-01", "condition": "faulty"})
        assert bad.status_code == 400
        text = bad.content.decode()
        assert "归还日期不能早于借出日期" in text and "备用机有故障时请说明故障" in text
        assert (
            client.post(url, {"returned_on": "2026-11-25", "condition": "good"}).status_code == 302
        )
        again = client.post(
            url, {"returned_on": "2026-11-25", "condition": "good"}, HTTP_HX_REQUEST="true"
        )
        assert again.status_code == 409
        send = reverse("repairs:oem_swap_act", args=[swap.pk, "send_original"])
        early = client.post(send, {"sent_on": "2026-11-25"})
        assert early.status_code == 400 and "故障机尚未收到" in early.content.decode()


# --- the monthly reconciliation ------------------------------------------------------------------


def test_the_monthly_reconciliation_counts_lent_returned_outstanding_and_overdue(client, net, jac):
    a, b, c = (add(net, jac, f"BK-004{i}") for i in range(3))
    october = datetime(2026, 10, 12, 10, tzinfo=Z)
    old = lend(net, jac, a, at=october)  # due in November, still out in December: overdue
    back = lend(net, jac, b, at=MONDAY)
    late_nov = MONDAY + timedelta(days=4)
    with time_machine.travel(late_nov, tick=False):
        svc.backup_swap_return(
            swap_id=back.pk, actor=net.clerk, returned_on=late_nov.date(), condition="good"
        )
    out = lend(net, jac, c, at=MONDAY + timedelta(days=1))
    with time_machine.travel(datetime(2026, 12, 3, 10, tzinfo=Z), tick=False):
        figures = reconciliation_figures(jac, date(2026, 11, 1))
        assert figures["lent"] == 2 and figures["returned"] == 1
        assert figures["outstanding"] == 2 and figures["swaps"] == 3
        assert figures["overdue"] == 1
        assert {r["number"] for r in figures["rows"] if r["overdue"]} == {old.number}
        assert out.number in {r["number"] for r in figures["rows"]}
        october_figures = reconciliation_figures(jac, date(2026, 10, 1))
        assert (october_figures["lent"], october_figures["outstanding"]) == (1, 1)
        assert october_figures["overdue"] == 0

        client.force_login(net.clerk)
        url = reverse("repairs:oem_reconciliation")
        page = client.get(url, {"oem": jac.pk, "month": "2026-11"})
        assert page.status_code == 200 and page.context["figures"]["overdue"] == 1
        assert (
            client.post(url, {"oem": jac.pk, "month": "2026-11", "action": "build"}).status_code
            == 302
        )
        row = OemReconciliation.objects.get(oem=jac, month=date(2026, 11, 1))
        assert row.state == OemReconciliationState.DRAFT and row.figures["lent"] == 2
        client.post(url, {"oem": jac.pk, "month": "2026-11", "action": "send"})
        no_note = client.post(url, {"oem": jac.pk, "month": "2026-11", "action": "dispute"})
        assert no_note.status_code == 400 and "请填写车厂的异议" in no_note.content.decode()
        client.post(url, {"oem": jac.pk, "month": "2026-11", "action": "confirm", "note": "已核对"})
        row.refresh_from_db()
        assert row.state == OemReconciliationState.CONFIRMED and row.answered_by == net.clerk
        assert [e.to_state for e in log_of(row)] == ["sent", "confirmed"]
        # a sent month is not rebuilt
        rebuilt = client.post(url, {"oem": jac.pk, "month": "2026-11", "action": "build"})
        assert rebuilt.status_code == 409 or "不能重新生成" in rebuilt.content.decode()
        sheet = client.get(
            reverse("repairs:oem_reconciliation_export"), {"oem": jac.pk, "month": "2026-11"}
        )
        assert sheet.status_code == 200
        cells = [
            c
            for r in load_workbook(BytesIO(sheet.content)).active.iter_rows(values_only=True)
            for c in r
            if c is not None
        ]
        assert "江淮汽车 备用机月度对账单 2026-11" in cells
        assert {old.number, back.number, out.number, "合肥江淮4S店", "是"} <= set(cells)
        future = client.post(url, {"oem": jac.pk, "month": "2027-01", "action": "build"})
        assert future.status_code == 400 and "不能对未来的月份对账" in future.content.decode()


def test_the_reconciliation_page_draws_the_first_rows_overdue_first_and_counts_them_all(
    client, net, jac, monkeypatch
):
    monkeypatch.setattr("repairs.selectors.oem.RECONCILIATION_PAGE_ROWS", 2)
    october = datetime(2026, 10, 12, 10, tzinfo=Z)
    on_time = [lend(net, jac, add(net, jac, f"BK-006{i}"), at=MONDAY) for i in range(2)]
    old = lend(net, jac, add(net, jac, "BK-0069"), at=october)  # lent last, listed first
    with time_machine.travel(datetime(2026, 12, 3, 10, tzinfo=Z), tick=False):
        client.force_login(net.clerk)
        url = reverse("repairs:oem_reconciliation")
        page = client.get(url, {"oem": jac.pk, "month": "2026-11"})
        figures = page.context["figures"]
        assert (figures["swaps"], figures["lent"], figures["overdue"]) == (3, 2, 1)
        assert [r["number"] for r in figures["rows"]] == [old.number, on_time[0].number]
        assert "共 3 条换机记录，下表为前 2 条" in page.content.decode()
        client.post(url, {"oem": jac.pk, "month": "2026-11", "action": "build"})
        client.post(url, {"oem": jac.pk, "month": "2026-11", "action": "send"})
        row = OemReconciliation.objects.get(oem=jac, month=date(2026, 11, 1))
        assert len(row.figures["rows"]) == 3  # the row keeps every swap for the Excel file
        sent = client.get(url, {"oem": jac.pk, "month": "2026-11"}).context["figures"]
        assert [r["number"] for r in sent["rows"]] == [old.number, on_time[0].number]


def test_a_disputed_reconciliation_goes_back_to_draft_to_be_rebuilt(net, jac):
    lend(net, jac, add(net, jac, "BK-0050"))
    with time_machine.travel(datetime(2026, 12, 1, 10, tzinfo=Z), tick=False):
        row = svc.oem_reconciliation_build(actor=net.clerk, oem=jac, month=date(2026, 11, 1))
        svc.oem_reconciliation_act(reconciliation_id=row.pk, actor=net.clerk, action="send")
        svc.oem_reconciliation_act(
            reconciliation_id=row.pk, actor=net.clerk, action="dispute", note="少一台"
        )
        with pytest.raises(TransitionNotAllowed):
            svc.oem_reconciliation_act(reconciliation_id=row.pk, actor=net.clerk, action="confirm")
        svc.oem_reconciliation_act(reconciliation_id=row.pk, actor=net.clerk, action="reopen")
        row = svc.oem_reconciliation_build(actor=net.clerk, oem=jac, month=date(2026, 11, 1))
    assert row.state == OemReconciliationState.DRAFT and row.answer_note == "少一台"
    with pytest.raises(PermissionDenied):
        svc.oem_reconciliation_build(actor=net.tech, oem=jac, month=date(2026, 11, 1))


# --- visibility and lists ---------------------------------------------------------------------


def test_nobody_outside_headquarters_customer_service_sees_the_pool(client, net, jac):
    backup = add(net, jac, "BK-0060")
    swap = lend(net, jac, backup)
    for user in (net.dealer_user, net.cs_manager, net.marketing):
        client.force_login(user)
        for url in (
            reverse("repairs:oem_backup_list"),
            reverse("repairs:oem_swap_list"),
            reverse("repairs:oem_reconciliation"),
        ):
            assert client.get(url).status_code == 403
        assert client.get(swap.get_absolute_url()).status_code == 404
        lend_page = reverse("repairs:oem_backup_lend", args=[backup.pk])
        assert client.get(lend_page).status_code == 404
        assert not BackupSwap.objects.visible_to(user).exists()
        assert not BackupUnit.objects.visible_to(user).exists()


def test_the_pool_and_swap_lists_cost_the_same_queries_for_2_and_30_rows(
    client, net, jac, django_assert_max_num_queries
):
    for i in range(2):
        lend(net, jac, add(net, jac, f"BK-07{i:02d}"), failed=f"JH70{i:05d}")
    client.force_login(net.clerk)
    urls = [
        (reverse("repairs:oem_backup_list"), {}),
        (reverse("repairs:oem_swap_list"), {"open": "1"}),
        (reverse("repairs:oem_swap_list"), {"overdue": "1"}),
    ]
    counts = []
    for url, params in urls:
        client.get(url, params)
        with CaptureQueriesContext(connection) as small:
            client.get(url, params)
        counts.append(len(small.captured_queries))
    for i in range(2, 30):
        lend(net, jac, add(net, jac, f"BK-07{i:02d}"), failed=f"JH70{i:05d}")
    for (url, params), n in zip(urls, counts, strict=True):
        with django_assert_max_num_queries(n):
            assert client.get(url, params).status_code == 200
    page = client.get(urls[1][0], urls[1][1])
    assert len(page.context["page"].object_list) == 25 and page.context["page"].has_next
    lent = client.get(urls[0][0], {"state": "lent"})
    assert lent.context["page"].count == 30
