"""Browser screens of repair orders: the technician's queue (htmx steps), the clerk's board
(overdue first, constant queries), the order page and the dealer's consent in the portal,
visibility (404) and permissions (403), loaners, the overdue review, the supervisor's extension and
the month-end statements with their downloads."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from repairs.choices import OrderState, QuoteState, StatementState
from repairs.exports import XLSX_CONTENT_TYPE
from repairs.models import LoanerUnit, MonthlyStatement, Quote, RepairOrder, ReviewItem
from repairs.services import orders as ro
from repairs.services import returns as rma
from service_ops.deadlines.models import DeadlineStatus
from service_ops.deadlines.sweep import sweep_deadlines
from tests.repairs.test_orders import _ship_with_quote, receive_lot

Z = ZoneInfo("Asia/Shanghai")
HTMX = {"HTTP_HX_REQUEST": "true"}
MONDAY = datetime(2026, 11, 23, 9, tzinfo=Z)


def at(*args):
    return time_machine.travel(datetime(*args, tzinfo=Z), tick=False)


def act(client, order, action, *, htmx=True, ui="tech", **data):
    data = {"ui": ui, **data}
    return client.post(
        reverse("repairs:order_act", args=[order.pk, action]), data, **(HTMX if htmx else {})
    )


def state_of(order) -> str:
    order.refresh_from_db()
    return order.state


def quote_lines(*rows):
    data = {
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "10",
    }
    for i, (kind, description, amount) in enumerate(rows):
        data.update(
            {
                f"lines-{i}-kind": kind,
                f"lines-{i}-description": description,
                f"lines-{i}-amount": amount,
            }
        )
    return data


def to_qc(net, order):
    ro.order_pick_up(order_id=order.pk, actor=net.tech)
    ro.order_start_repair(order_id=order.pk, actor=net.tech, diagnosis="电源模块")
    ro.order_finish_repair(order_id=order.pk, actor=net.tech)
    ro.order_finish_burn_in(order_id=order.pk, actor=net.tech)


def to_packed(net, order):
    """Through QC and boxed: ready for the clerk to ship."""
    to_qc(net, order)
    ro.order_qc(order_id=order.pk, actor=net.tech, passed=True)
    ro.order_pack(order_id=order.pk, actor=net.tech, packing_list="主机 ×1", parcels=1)


def quoted(net, order, *, send=False):
    ro.order_pick_up(order_id=order.pk, actor=net.tech)
    # a paid repair (the helpers' quotes charge labour): the technician's reading says so
    ro.order_assess_warranty(order_id=order.pk, actor=net.tech, exclusions=["misuse"])
    quote = ro.order_raise_quote(
        order_id=order.pk,
        actor=net.tech,
        diagnosis="主板损坏，过保",
        lines=[ro.QuoteLineInput("labour", Decimal("80"))],
    )
    if send:
        ro.quote_send(quote_id=quote.pk, actor=net.clerk)
    return quote


# --- the technician's queue --------------------------------------------------------------------


def test_a_technician_picks_up_repairs_burns_in_and_passes_qc_from_the_queue(client, net):
    lot = receive_lot(net, ["Q1"], MONDAY)
    order = lot.orders.get()
    client.force_login(net.tech)
    with at(2026, 11, 24, 10):
        page = client.get(reverse("repairs:technician_queue"))
        assert page.status_code == 200
        html = page.text
        assert order.number in html and "Q1" in html and "剩余 2 个工作日" in html
        assert "批次 1 台" in html and "领机" in html

        card = act(client, order, "pick_up")
        assert card.status_code == 200 and "已领机" in card.text
        assert f'id="order-{order.pk}"' in card.text and "开始维修" in card.text
        assert state_of(order) == OrderState.DIAGNOSING
        assert order.technician == net.tech

        card = act(client, order, "start_repair", diagnosis="电源模块虚焊")
        assert "已开始维修" in card.text and "维修完成" in card.text
        card = act(client, order, "finish_repair", notes="重焊电源模块")
        assert "老化完成" in card.text
        card = act(client, order, "finish_burn_in")
        assert "质检合格" in card.text and "不合格" in card.text
        card = act(client, order, "qc", result="pass")
        assert "质检合格，待包装" in card.text and "包装完成" in card.text
        card = act(client, order, "pack", packing_list="", parcels="1")
        assert "请填写装箱清单" in card.text
        card = act(client, order, "pack", packing_list="主机 ×1\n电源线 ×1", parcels="2")
        assert "已包装，待后勤专员发货" in card.text

    order.refresh_from_db()
    assert order.state == OrderState.PACKED and order.parcels == 2
    assert order.packing_list == "主机 ×1\n电源线 ×1" and order.packed_by == net.tech
    assert order.diagnosis == "电源模块虚焊" and "重焊电源模块" in order.repair_notes
    detail = client.get(order.get_absolute_url()).text
    assert "质检" in detail and "包装" in detail  # the history panel shows the steps


def test_a_qc_failure_without_a_note_shows_the_error_and_changes_nothing(client, net):
    lot = receive_lot(net, ["Q2"], MONDAY)
    order = lot.orders.get()
    to_qc(net, order)
    client.force_login(net.tech)
    card = act(client, order, "qc", result="fail", note="  ")
    assert card.status_code == 200 and "质检不合格请写明原因" in card.text
    assert "is-invalid" in card.text
    assert state_of(order) == OrderState.QC
    page = act(client, order, "qc", htmx=False, ui="detail", result="fail")
    assert page.status_code == 400 and "质检不合格请写明原因" in page.text
    card = act(client, order, "qc", result="fail", note="老化后死机")
    assert "二次维修" in card.text
    order.refresh_from_db()
    assert order.state == OrderState.REPAIRING and order.qc_failures == 1


def test_waiting_for_parts_needs_a_reason_and_shows_it_on_the_card(client, net):
    lot = receive_lot(net, ["W1"], MONDAY)
    order = lot.orders.get()
    ro.order_pick_up(order_id=order.pk, actor=net.tech)
    ro.order_start_repair(order_id=order.pk, actor=net.tech)
    client.force_login(net.tech)
    card = act(client, order, "wait_for_parts", reason="", until="")
    assert "请说明等待的配件和原因" in card.text and state_of(order) == OrderState.REPAIRING
    card = act(client, order, "wait_for_parts", reason="缺 GPS 模块", until="2026-12-01")
    assert "缺 GPS 模块" in card.text and "配件已到" in card.text
    card = act(client, order, "parts_arrived")
    assert state_of(order) == OrderState.REPAIRING


def test_the_cards_escape_what_people_typed(client, net):
    """The queue's cards are written in Python (repairs/markup/orders.py, with the board's):
    every text a person typed reaches the page escaped, on the list and after a step."""
    lot = receive_lot(net, ["<b>S1</b>"], MONDAY)
    order = lot.orders.get()
    RepairOrder.objects.filter(pk=order.pk).update(fault_description="黑屏 <script>x()</script>")
    ro.order_pick_up(order_id=order.pk, actor=net.tech)
    ro.order_start_repair(order_id=order.pk, actor=net.tech, diagnosis='"><img src=x>')
    client.force_login(net.tech)
    card = act(client, order, "wait_for_parts", reason="缺 <GPS> & 模块", until="2026-12-01")
    queue = client.get(reverse("repairs:technician_queue")).content.decode()
    for page in (card.content.decode(), queue):
        assert "&lt;script&gt;x()&lt;/script&gt;" in page and "<script>x()" not in page
        assert "&quot;&gt;&lt;img src=x&gt;" in page and "<img src=x>" not in page
        assert "缺 &lt;GPS&gt; &amp; 模块" in page and "&lt;b&gt;S1&lt;/b&gt;" in page


def test_the_warranty_form_shows_the_result_and_its_reasons(client, net):
    lot = receive_lot(net, ["G1"], MONDAY, purchase_date=date(2026, 3, 1))
    order = lot.orders.get()
    ro.order_pick_up(order_id=order.pk, actor=net.tech)
    client.force_login(net.tech)
    card = act(client, order, "warranty", exclusions=["transport_damage", "no_seller_stamp"])
    assert "不属免费保修" in card.text and "购买后搬运、运输、掉落造成的损坏" in card.text
    order.refresh_from_db()
    assert order.in_warranty is False and order.service_type == "paid"
    act(client, order, "warranty", under_contract="on")
    order.refresh_from_db()
    assert order.in_warranty is True and order.service_type == "contract"
    client.force_login(net.clerk)
    assert act(client, order, "warranty").status_code == 403


def test_a_cards_folded_forms_are_fetched_when_opened(client, net):
    lot = receive_lot(net, ["L1"], MONDAY)
    order = lot.orders.get()
    ro.order_pick_up(order_id=order.pk, actor=net.tech)
    client.force_login(net.tech)
    queue = client.get(reverse("repairs:technician_queue")).text
    url = reverse("repairs:order_action_form", args=[order.pk, "raise_quote"])
    assert f'hx-get="{url}?ui=tech"' in queue
    assert 'name="lines-TOTAL_FORMS"' not in queue  # the quote form itself is not drawn
    form = client.get(url, {"ui": "tech"}, **HTMX)
    assert form.status_code == 200 and 'name="lines-TOTAL_FORMS"' in form.text
    assert "<details" in form.text and " open" in form.text
    bad = reverse("repairs:order_action_form", args=[order.pk, "no_such_action"])
    assert client.get(bad).status_code == 404
    client.force_login(net.clerk)
    assert client.get(url, {"ui": "tech"}).status_code == 403
    client.force_login(net.dealer2_user)
    assert client.get(url, {"ui": "tech"}).status_code == 404


def test_a_dealer_cannot_take_a_technicians_step(client, net):
    lot = receive_lot(net, ["P1"], MONDAY)
    order = lot.orders.get()
    client.force_login(net.dealer_user)
    assert act(client, order, "pick_up", htmx=False, ui="detail").status_code == 403
    assert client.get(reverse("repairs:technician_queue")).status_code == 403
    assert state_of(order) == OrderState.WAITING_PICKUP


def test_a_step_no_longer_allowed_says_so(client, net):
    lot = receive_lot(net, ["N1"], MONDAY)
    order = lot.orders.get()
    ro.order_pick_up(order_id=order.pk, actor=net.repair_sup)
    client.force_login(net.tech)
    card = act(client, order, "pick_up")
    assert "此操作在当前状态下不允许" in card.text
    response = act(client, order, "pick_up", htmx=False, ui="detail")
    assert response.status_code == 302
    assert "此操作在当前状态下不允许" in client.get(response.url).text


def test_the_technicians_queue_runs_the_same_number_of_queries_for_2_and_8_units(
    client, net, django_assert_max_num_queries
):
    lot = receive_lot(net, [f"S{i}" for i in range(10)], MONDAY)
    orders = list(lot.orders.order_by("pk"))
    quoted(net, orders[0])
    quoted(net, orders[1], send=True)
    client.force_login(net.tech)
    url = reverse("repairs:technician_queue")
    client.get(url)
    with CaptureQueriesContext(connection) as two:
        assert client.get(url).status_code == 200
    for order in orders[2:8]:
        quoted(net, order, send=order.pk % 2 == 0)
    with django_assert_max_num_queries(len(two.captured_queries)):
        html = client.get(url).text
    assert all(o.number in html for o in orders)


def test_the_queue_shows_the_most_urgent_of_each_state_and_links_to_the_rest(
    client, net, monkeypatch
):
    from repairs.selectors import orders as order_selectors

    monkeypatch.setattr(order_selectors, "GROUP_LIMIT", 2)
    lot = receive_lot(net, [f"U{i}" for i in range(5)], MONDAY)
    orders = list(lot.orders.order_by("pk"))
    client.force_login(net.tech)
    with at(2026, 11, 24, 10):
        for order in orders:
            act(client, order, "pick_up")
        html = client.get(reverse("repairs:technician_queue")).text
    shown = [o for o in orders if f'id="order-{o.pk}"' in html]
    assert len(shown) == 2  # two cards of five: the oldest limits first, then by id
    assert shown == orders[:2]
    assert "查看全部 5 台" in html and "mine=true" in html
    listed = client.get(reverse("repairs:order_list"), {"state": "diagnosing", "mine": "true"})
    assert all(o.number in listed.text for o in orders)
    client.force_login(net.repair_sup)
    others = client.get(reverse("repairs:order_list"), {"state": "diagnosing", "mine": "true"})
    assert not any(o.number in others.text for o in orders)


# --- quotes: raise, send, the dealer's consent ----------------------------------------------------


def test_quote_raised_sent_and_consented_by_the_dealer_in_the_portal(client, net):
    lot = receive_lot(net, ["C1"], MONDAY, purchase_date=None)  # no purchase date: paid
    order = lot.orders.get()
    with at(2026, 11, 24, 10):
        ro.order_pick_up(order_id=order.pk, actor=net.tech)
        client.force_login(net.tech)
        card = act(client, order, "raise_quote", diagnosis="主板损坏", **quote_lines())
        assert "请至少填写一项费用" in card.text
        card = act(
            client,
            order,
            "raise_quote",
            diagnosis="主板损坏",
            **quote_lines(("labour", "", "80"), ("parts", "", "")),
        )
        assert "请填写金额" in card.text and state_of(order) == OrderState.DIAGNOSING
        card = act(
            client,
            order,
            "raise_quote",
            diagnosis="主板损坏",
            **quote_lines(("labour", "维修费", "80"), ("parts", "主板", "120.50")),
        )
        assert "已提出报价" in card.text
        quote = Quote.objects.get(order=order)
        assert quote.total == Decimal("200.50") and quote.lines.count() == 2

        client.force_login(net.clerk)
        board = client.get(reverse("repairs:order_board")).text
        assert order.number in board and "发送报价" in board and "¥200.50" in board
        card = act(client, order, "send_quote", ui="board")
        assert "已发送报价" in card.text
        quote.refresh_from_db()
        assert quote.state == QuoteState.SENT

    with at(2026, 11, 25, 9):
        client.force_login(net.dealer_user)
        assert order.number in client.get(reverse("repairs:order_list")).text
        page = client.get(order.get_absolute_url()).text
        assert "维修时限暂停中" in page and "等待客户确认报价" in page
        assert "同意维修" in page and "¥200.50" in page
        assert "开始维修" not in page and "发送报价" not in page  # only the dealer's action
        unsigned = act(
            client, order, "answer_quote", htmx=False, ui="detail", answer="consent", note="同意"
        )
        assert unsigned.status_code == 400 and "同意维修须签名" in unsigned.text
        response = act(
            client,
            order,
            "answer_quote",
            htmx=False,
            ui="detail",
            answer="consent",
            note="同意",
            signature="王经理",
        )
        assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.state == QuoteState.CONSENTED and quote.answered_by == net.dealer_user
    assert quote.signed_by_name == "王经理"  # the proof of consent (issue 15, item 5)
    assert state_of(order) == OrderState.REPAIRING
    assert ro.limit_deadline(order).status == DeadlineStatus.RUNNING


def test_the_clerk_records_a_phone_answer_only_with_a_note(client, net):
    lot = receive_lot(net, ["C2"], MONDAY)
    order = lot.orders.get()
    quoted(net, order, send=True)
    client.force_login(net.clerk)
    card = act(client, order, "answer_quote", ui="board", answer="decline", note="")
    assert "请注明答复方式" in card.text and state_of(order) == OrderState.WAITING_CONSENT
    card = act(client, order, "contact", ui="board", channel="phone", summary="")
    assert "请填写沟通内容" in card.text
    card = act(client, order, "contact", ui="board", channel="phone", summary="王经理说考虑一下")
    assert "已记录客户沟通" in card.text and order.contacts.count() == 1
    card = act(client, order, "answer_quote", ui="board", answer="decline", note="王经理电话：太贵")
    assert state_of(order) == OrderState.RETURN_UNREPAIRED


def test_another_dealer_gets_404_on_a_dealers_order(client, net):
    lot = receive_lot(net, ["V1"], MONDAY)
    order = lot.orders.get()
    quoted(net, order, send=True)
    client.force_login(net.dealer2_user)
    assert client.get(order.get_absolute_url()).status_code == 404
    assert client.get(lot.get_absolute_url()).status_code == 404
    assert act(client, order, "answer_quote", answer="consent").status_code == 404
    assert order.number not in client.get(reverse("repairs:order_list")).text
    assert state_of(order) == OrderState.WAITING_CONSENT


def test_the_lot_page_lists_its_orders_with_the_limit_rule(client, net):
    lot = receive_lot(net, ["L1", "L2"], MONDAY)
    client.force_login(net.dealer_user)
    with at(2026, 11, 24, 10):
        html = client.get(lot.get_absolute_url()).text
    assert all(o.number in html for o in lot.orders.all())
    assert "维修时限（2–3 台）" in html and "剩余" in html


# --- the clerk's board ---------------------------------------------------------------------------


def test_the_board_shows_overdue_units_first(client, net):
    early = receive_lot(net, ["EARLY"], datetime(2026, 11, 16, 9, tzinfo=Z)).orders.get()
    late = receive_lot(net, ["LATE"], MONDAY).orders.get()
    with at(2026, 11, 24, 10):
        to_packed(net, early)
        to_packed(net, late)
        ro.order_extend(order_id=early.pk, actor=net.repair_sup, working_days=12, reason="缺料")
    sweep_deadlines(now=datetime(2026, 11, 27, 9, tzinfo=Z))
    assert ro.limit_deadline(late).status == DeadlineStatus.BREACHED
    assert ro.limit_deadline(early).status == DeadlineStatus.RUNNING
    client.force_login(net.clerk)
    with at(2026, 11, 27, 10):
        html = client.get(reverse("repairs:order_board")).text
    assert html.index(late.number) < html.index(early.number)
    assert "已超期" in html and "1 台超期" in html


def test_the_board_runs_the_same_number_of_queries_for_5_and_30_orders(
    client, net, django_assert_max_num_queries, monkeypatch
):
    from repairs.selectors import orders as order_selectors

    monkeypatch.setattr(order_selectors, "LIST_LIMIT", 50)  # every card drawn: 30 in the end

    def fill(serials):
        lot = receive_lot(net, serials, MONDAY)
        with at(2026, 11, 24, 10):
            for i, order in enumerate(lot.orders.order_by("pk")):
                if i % 3 == 0:
                    to_packed(net, order)
                else:
                    quoted(net, order, send=i % 3 == 2)

    fill([f"A{i}" for i in range(5)])
    client.force_login(net.clerk)
    url = reverse("repairs:order_board")
    with at(2026, 11, 24, 11):
        client.get(url)
        with CaptureQueriesContext(connection) as five:
            assert client.get(url).status_code == 200
    fill([f"B{i}" for i in range(25)])
    with at(2026, 11, 24, 11), django_assert_max_num_queries(len(five.captured_queries)):
        html = client.get(url).text
    assert html.count('class="card shadow-sm mb-2 order-card') == 30


def test_shipping_needs_carrier_tracking_and_a_date_not_in_the_future(client, net):
    lot = receive_lot(net, ["S1"], MONDAY)
    order = lot.orders.get()
    to_packed(net, order)
    client.force_login(net.clerk)
    with at(2026, 11, 25, 10):
        card = act(client, order, "ship", ui="board", carrier="", tracking_number="", shipped_on="")
        assert card.text.count("invalid-feedback") >= 3 and state_of(order) == OrderState.PACKED
        card = act(
            client,
            order,
            "ship",
            ui="board",
            carrier="顺丰",
            tracking_number="SF1",
            shipped_on="2026-11-26",
        )
        assert "发货日期不能晚于今天" in card.text and state_of(order) == OrderState.PACKED
        card = act(
            client,
            order,
            "ship",
            ui="board",
            carrier="顺丰",
            tracking_number="SF1",
            shipped_on="2026-11-25",
        )
        assert "已发货" in card.text and "关闭归档" in card.text
        order.refresh_from_db()
        assert order.state == OrderState.SHIPPED and order.tracking_number == "SF1"
        act(client, order, "close", ui="board")
    assert state_of(order) == OrderState.CLOSED


def test_a_technician_may_not_ship_and_the_board_is_for_office_staff(client, net):
    lot = receive_lot(net, ["S2"], MONDAY)
    order = lot.orders.get()
    to_packed(net, order)
    client.force_login(net.tech)
    assert client.get(reverse("repairs:order_board")).status_code == 403
    response = act(client, order, "ship", carrier="顺丰", tracking_number="X", shipped_on="")
    assert response.status_code in (400, 200) and state_of(order) == OrderState.PACKED
    response = act(
        client, order, "ship", carrier="顺丰", tracking_number="X", shipped_on="2026-11-23"
    )
    assert response.status_code == 403 and state_of(order) == OrderState.PACKED


# --- loaners ------------------------------------------------------------------------------------


def test_a_loaner_is_lent_from_the_order_and_returned_from_the_pool(client, net):
    lot = receive_lot(net, ["LN1"], MONDAY)
    order = lot.orders.get()
    loaner = LoanerUnit.objects.create(serial_number="BY-001", product_model="GPS-X1")
    client.force_login(net.clerk)
    response = act(
        client,
        order,
        "lend",
        htmx=False,
        ui="detail",
        loaner=loaner.pk,
        carrier="顺丰",
        tracking_number="SF7",
    )
    assert response.status_code == 302
    loaner.refresh_from_db()
    assert not loaner.is_available
    pool = client.get(reverse("repairs:loaner_list")).text
    assert "BY-001" in pool and order.number in pool and "已归还入库" in pool
    loan = order.loans.get()
    response = client.post(reverse("repairs:loan_return", args=[loan.pk]))
    assert response.status_code == 302
    loaner.refresh_from_db()
    assert loaner.is_available
    client.force_login(net.tech)
    assert client.get(reverse("repairs:loaner_list")).status_code == 403


# --- the supervisor's extension -------------------------------------------------------------------


def test_a_supervisor_extends_a_special_case_but_the_page_refuses_beyond_fifteen_days(client, net):
    lot = receive_lot(net, ["E1"], MONDAY)
    order = lot.orders.get()
    client.force_login(net.repair_sup)
    page = client.get(order.get_absolute_url()).text
    assert "特殊情况延长时限" in page
    response = act(
        client, order, "extend", htmx=False, ui="detail", working_days="12", reason="缺料"
    )
    assert response.status_code == 302
    response = act(
        client, order, "extend", htmx=False, ui="detail", working_days="1", reason="再等"
    )
    assert response.status_code == 400 and "总时限不能超过 15 个工作日" in response.text
    assert "is-invalid" in response.text
    response = act(client, order, "extend", htmx=False, ui="detail", working_days="1", reason="")
    assert response.status_code == 400
    client.force_login(net.tech)
    response = act(client, order, "extend", htmx=False, ui="detail", working_days="1", reason="x")
    assert response.status_code == 403


# --- the Wednesday / Saturday review -------------------------------------------------------------


def test_the_supervisor_builds_the_review_list_and_a_decision_is_recorded_by_form(client, net):
    lot = receive_lot(net, ["R1"], MONDAY)
    order = lot.orders.get()
    sweep_deadlines(now=datetime(2026, 11, 26, 18, 30, tzinfo=Z))
    client.force_login(net.clerk)
    assert "生成今天的评审清单" not in client.get(reverse("repairs:review_list")).text
    assert client.post(reverse("repairs:review_build")).status_code == 403
    client.force_login(net.repair_sup)
    with at(2026, 11, 28, 8, 30):
        assert "生成今天的评审清单" in client.get(reverse("repairs:review_list")).text
        response = client.post(reverse("repairs:review_build"))
        assert response.status_code == 302
        page = client.get(response.url).text
        assert order.number in page and "超期 1 个工作日" in page
        item = ReviewItem.objects.get(order=order)
        url = reverse("repairs:review_decide", args=[item.pk])
        response = client.post(url, {"decision": "more_time", "note": "等配件"})
        assert response.status_code == 400 and "请给出新的等待时限" in response.text
        response = client.post(url, {"decision": ""})
        assert response.status_code == 400 and "请选择决定" in response.text
        response = client.post(
            url,
            {
                "decision": "more_time",
                "wait_reason": "parts",
                "new_wait_until": "2026-12-02",
                "customer_contacted": "on",
                "note": "等配件",
            },
        )
        assert response.status_code == 302
    item.refresh_from_db()
    assert item.decision == "more_time" and item.decided_by == net.repair_sup
    assert ro.waiting_deadline(order).due_at == datetime(2026, 12, 2, 18, tzinfo=Z)
    assert "给出等待时限" in client.get(item.meeting.get_absolute_url()).text
    assert "评审给出的等待时限：2026-12-02" in client.get(order.get_absolute_url()).text
    client.force_login(net.dealer_user)  # meetings are for headquarters reviewers only
    assert client.get(item.meeting.get_absolute_url()).status_code == 404


# --- month-end statements ----------------------------------------------------------------------


def test_the_branch_manager_confirms_a_statement_and_then_building_it_is_refused(client, net):
    _ship_with_quote(
        net, "M1", Decimal("80"), Decimal("120.50"), datetime(2026, 11, 10, 10, tzinfo=Z)
    )
    client.force_login(net.clerk)
    response = client.post(
        reverse("repairs:statement_build"), {"branch": net.cs.pk, "month": "2026-11"}
    )
    assert response.status_code == 302
    statement = MonthlyStatement.objects.get(branch=net.cs, month=date(2026, 11, 1))
    assert statement.total == Decimal("200.50")
    page = client.get(statement.get_absolute_url()).text
    assert "¥200.50" in page and "分公司经理确认" not in page
    assert reverse("repairs:statement_build") in page
    assert "2026-11" in client.get(reverse("repairs:statement_list")).text

    client.force_login(net.gz_manager)
    assert client.get(statement.get_absolute_url()).status_code == 404
    client.force_login(net.cs_manager)
    page = client.get(statement.get_absolute_url()).text
    assert "分公司经理确认" in page
    response = client.post(reverse("repairs:statement_confirm", args=[statement.pk]))
    assert response.status_code == 302
    statement.refresh_from_db()
    assert statement.state == StatementState.CONFIRMED and statement.confirmed_by == net.cs_manager
    assert "已锁定" in client.get(statement.get_absolute_url()).text

    client.force_login(net.clerk)
    page = client.get(statement.get_absolute_url()).text
    assert reverse("repairs:statement_build") not in page  # no rebuild button once locked
    response = client.post(
        reverse("repairs:statement_build"), {"branch": net.cs.pk, "month": "2026-11"}
    )
    assert response.status_code == 400 and "该对账单已由分公司经理确认，不能修改" in response.text
    client.force_login(net.tech)
    assert client.post(reverse("repairs:statement_build"), {}).status_code == 403


def test_statement_downloads_are_excel_and_pdf(client, net):
    _ship_with_quote(net, "X1", Decimal("80"), Decimal("20"), datetime(2026, 11, 10, 10, tzinfo=Z))
    statement = ro.statement_build(branch=net.cs, month=date(2026, 11, 1), actor=net.clerk)
    client.force_login(net.cs_manager)
    xlsx = client.get(reverse("repairs:statement_xlsx", args=[statement.pk]))
    assert xlsx.status_code == 200 and xlsx["Content-Type"] == XLSX_CONTENT_TYPE
    assert xlsx.content.startswith(b"PK") and ".xlsx" in xlsx["Content-Disposition"]
    pdf = client.get(reverse("repairs:statement_pdf", args=[statement.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    client.force_login(net.dealer2_user)
    assert client.get(reverse("repairs:statement_pdf", args=[statement.pk])).status_code == 404


@pytest.mark.parametrize("user_attr", ["tech", "clerk", "cs_manager", "dealer_user"])
def test_the_lists_open_for_everyone_and_show_only_what_they_may_see(client, net, user_attr):
    _ship_with_quote(net, "Z1", Decimal("10"), Decimal("5"), datetime(2026, 11, 10, 10, tzinfo=Z))
    ro.statement_build(branch=net.cs, month=date(2026, 11, 1), actor=net.clerk)
    user = getattr(net, user_attr)
    client.force_login(user)
    orders = client.get(reverse("repairs:order_list"))
    assert orders.status_code == 200 and "RO" in orders.text
    statements = client.get(reverse("repairs:statement_list"))
    assert statements.status_code == 200
    assert ("长沙分公司" in statements.text) == (user_attr != "dealer_user")


def test_an_urgent_unit_is_first_in_the_workshop_queue(client, net):
    # issue 15, item 11: 按紧重或先后顺序安排
    early = receive_lot(net, ["OLD"], datetime(2026, 11, 16, 9, tzinfo=Z)).orders.get()
    urgent = receive_lot(net, ["URG"], MONDAY).orders.get()
    RepairOrder.objects.filter(pk=urgent.pk).update(urgency="urgent")
    client.force_login(net.tech)
    with at(2026, 11, 24, 10):
        html = client.get(reverse("repairs:technician_queue")).text
    assert html.index(urgent.number) < html.index(early.number)
    assert "紧急" in html


def test_an_empty_statement_is_built_with_a_word_and_the_total_in_capitals(client, net):
    # issue 15, item 17
    client.force_login(net.clerk)
    response = client.post(
        reverse("repairs:statement_build"), {"branch": net.cs.pk, "month": "2026-10"}, follow=True
    )
    page = response.content.decode()
    assert "本月没有发货的收费维修" in page
    assert "人民币零元整" in page


def test_the_clerk_posts_a_delay_notice_to_every_affected_shipper(client, net):
    # issue 15, item 12: 原材料问题或其它不可抗因素
    from repairs.models import CustomerContact, DelayNotice
    from service_ops.notifications.models import Notification

    a = receive_lot(net, ["DL1", "DL2"], MONDAY).orders.order_by("pk")
    shipped = receive_lot(net, ["DL3"], MONDAY).orders.get()
    to_packed(net, shipped)
    with at(2026, 11, 24, 10):
        ro.order_ship(order_id=shipped.pk, actor=net.clerk, carrier="顺丰", tracking_number="SF1")
    client.force_login(net.tech)
    assert client.get(reverse("repairs:delay_notice_create")).status_code == 403
    client.force_login(net.clerk)
    url = reverse("repairs:delay_notice_create")
    refused = client.post(url, {"reason": "materials", "message": "主板缺货"})
    assert refused.status_code == 400 and "请填写型号或维修单号" in refused.text
    with at(2026, 11, 25, 10):
        response = client.post(
            url,
            {
                "reason": "materials",
                "message": "主板芯片缺货，供应商预计下周到货",
                "expected_until": "2026-12-04",
                "product_model": "gps-x1",
            },
        )
    assert response.status_code == 302
    notice = DelayNotice.objects.get()
    assert sorted(notice.orders.values_list("pk", flat=True)) == [o.pk for o in a]  # not shipped
    told = Notification.objects.filter(
        recipient=net.dealer_user, channel="in_app", subject__startswith="延误通知"
    )
    assert told.count() == 1 and "2 台" in told.get().subject
    assert "DL1" in told.get().body and "DL2" in told.get().body and "2026-12-04" in told.get().body
    assert CustomerContact.objects.filter(order__in=a, summary__contains=notice.number).count() == 2
    assert not CustomerContact.objects.filter(order=shipped).exists()


def test_the_branch_manager_answers_with_a_signed_and_stamped_copy_and_the_clerk_must_attach_it(
    client, net, settings, tmp_path
):
    # issue 15, item 5: operating platform — the quote goes to the 分公司经理 (签名、盖章回传)
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.repairs.test_web_returns import approved

    settings.MEDIA_ROOT = tmp_path
    app = approved(net, "OP1")  # gz_engineer's application: the operating platform
    rma.rma_book_pickup(
        application_id=app.pk, actor=net.clerk, pickup_date=MONDAY.date(), driver_name="李"
    )
    rma.rma_record_pickup(application_id=app.pk, actor=net.clerk, counted_units=1, shipper_count=1)
    with at(2026, 11, 23, 9):
        rma.rma_receive(application_id=app.pk, actor=net.clerk, units=[("GPS-X1", "OP1")])
    order = RepairOrder.objects.get(serial_number="OP1")
    other = receive_lot(net, ["OP2"], MONDAY).orders.get()
    with at(2026, 11, 24, 10):
        quoted(net, order, send=True)
        quoted(net, other, send=True)
        client.force_login(net.clerk)  # a fax came back: the clerk records it
        card = act(client, order, "answer_quote", ui="board", answer="consent", note="传真回传")
        assert "请上传客户签字盖章的报价回传件" in card.text
        client.force_login(net.gz_manager)
        scan = SimpleUploadedFile("quote-signed.pdf", b"%PDF-1.4 signed", "application/pdf")
        response = act(
            client, order, "answer_quote", htmx=False, ui="detail", answer="consent",
            signed_copy=scan,
        )  # fmt: skip
        assert response.status_code == 302
        # a managed branch's manager does not answer: its dealer does
        client.force_login(net.cs_manager)
        assert act(client, other, "answer_quote", answer="consent").status_code == 403
    quote = order.quotes.get()
    assert quote.state == QuoteState.CONSENTED and quote.answered_by == net.gz_manager
    assert (
        quote.signed_copy.name.endswith(".pdf") and quote.signed_copy.read() == b"%PDF-1.4 signed"
    )
    client.force_login(net.head)
    copy_url = reverse("repairs:quote_signed_copy", args=[order.pk, quote.pk])
    assert copy_url in client.get(order.get_absolute_url()).text
    assert b"".join(client.get(copy_url).streaming_content) == b"%PDF-1.4 signed"
    client.force_login(net.dealer2_user)  # not theirs: as if it did not exist
    assert client.get(copy_url).status_code == 404
