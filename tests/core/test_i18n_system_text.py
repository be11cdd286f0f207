"""Issue 15 item 19: what the system writes is stored as codes and parameters and rendered in the
reader's language. A reader in English (the language switcher's cookie, or Accept-Language on the
API) reads English for notifications, history comments, pause reasons, step and policy names and
warranty reasons written while the site spoke zh-hans; what a person typed stays as typed; the
zh-hans pages are unchanged."""

import json
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy, gettext_noop

from repairs.choices import WarrantyExclusion
from repairs.services import orders as ro
from service_ops import i18n
from service_ops.deadlines.models import Deadline
from service_ops.notifications.models import Notification
from service_ops.notifications.services import notify
from tests.repairs.test_orders import _picked_and_quoted, receive_lot

Z = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 23, 9, tzinfo=Z)


def english(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def chinese(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


# --- the deferred text itself -------------------------------------------------------------------


def test_a_deferred_text_renders_in_the_active_language_and_survives_json():
    text = i18n.deferred(
        gettext_noop("已过保修期（购买日期 %(d)s，保修一年）"), d=date(2025, 3, 18)
    )
    back = i18n.from_json(json.dumps(text.to_dict()))
    assert str(back) == "已过保修期（购买日期 2025-03-18，保修一年）"
    with translation.override("en"):
        assert str(back) == "Out of warranty (purchased 2025-03-18, one-year warranty)"


def test_a_choice_label_as_a_parameter_is_stored_as_its_msgid_and_renders_translated():
    text = i18n.deferred(gettext_noop("待您签字：%(label)s"), label=WarrantyExclusion.MISUSE.label)
    assert text.to_dict()["p"]["label"] == {"m": "使用不当、私自拆机、不适当修理或改造"}
    with translation.override("en"):
        assert str(i18n.from_json(text.to_dict())).startswith("Awaiting your signature: ")
        assert "使用不当" not in str(i18n.from_json(text.to_dict()))


def test_a_translation_that_does_not_fit_its_parameters_falls_back_to_the_msgid():
    broken = i18n.Deferred("待您签字：%(label)s", {"other": 1})
    assert str(broken) == "待您签字：%(label)s"
    assert i18n.render("typed by a person", None) == "typed by a person"
    assert i18n.render("", {"m": "申请已撤回或驳回"}) == "申请已撤回或驳回"


def test_data_names_go_through_the_catalogue_and_unknown_ones_show_as_typed():
    with translation.override("en"):
        assert str(i18n.data_text("客服部部长审批")) == "Head of customer service approves"
        assert str(i18n.data_text("管理员改过的名字")) == "管理员改过的名字"
        assert i18n.data_text("") == ""


def test_a_lazy_msgid_with_a_context_keeps_it():
    text = i18n.deferred(gettext_lazy("申请已撤回或驳回"))
    assert text.to_dict() == {"m": "申请已撤回或驳回"}


# --- notifications --------------------------------------------------------------------------------


def test_a_notification_written_in_zh_hans_reads_in_english_in_the_inbox(net, client):
    notify(
        recipients=[net.clerk],
        subject=i18n.deferred(gettext_noop("返厂申请已批准：%(no)s，请安排提货"), no="RA-1"),
        body=i18n.deferred(gettext_noop("请于 %(d)s 前归还。"), d=date(2026, 12, 1)),
    )
    notify(recipients=[net.clerk], subject="人工输入的通知")
    note = Notification.objects.filter(recipient=net.clerk).order_by("id").first()
    # zh-hans kept for search, e-mail and SMS
    assert note.subject == "返厂申请已批准：RA-1，请安排提货"
    assert note.body == "请于 2026-12-01 前归还。"

    page = english(client, net.clerk).get(reverse("inbox")).content.decode()
    assert "返厂申请已批准" not in page
    with translation.override("en"):
        assert note.subject_text in page
        assert note.subject_text != note.subject
    assert "人工输入的通知" in page  # typed text stays as typed
    detail = client.get(reverse("inbox_open", args=[note.pk]), follow=True).content.decode()
    assert "请于" not in detail

    page = chinese(client, net.clerk).get(reverse("inbox")).content.decode()
    assert "返厂申请已批准：RA-1，请安排提货" in page


def test_the_sweep_writes_its_warnings_deferred_with_the_timer_label(net, client):
    from service_ops.deadlines.sweep import sweep_deadlines

    lot = receive_lot(net, ["SW1"], MONDAY)
    order = lot.orders.get()
    limit = ro.limit_deadline(order)
    with time_machine.travel(datetime(2026, 11, 26, 19, tzinfo=Z), tick=False):  # due 18:00
        sweep_deadlines()
    note = Notification.objects.filter(
        source_id=order.pk, category="deadline", subject__startswith="已超期："
    ).first()
    assert note is not None and note.subject.startswith("已超期：维修时限 ")
    with translation.override("en"):
        assert note.subject_text.startswith("Overdue: Repair limit ")
        assert limit.log.filter(detail_i18n__isnull=False).exists()
        log = limit.log.filter(detail_i18n__isnull=False).first()
        assert "Overdue" in log.detail_text


# --- the order page and the API -----------------------------------------------------------------


@pytest.fixture
def quoted(net):
    """An out-of-warranty unit whose quote went to the dealer: the repair limit is paused."""
    lot = receive_lot(net, ["EN1"], MONDAY, purchase_date=date(2024, 1, 5))
    order, quote = _picked_and_quoted(net, lot, datetime(2026, 11, 23, 10, tzinfo=Z))
    with time_machine.travel(datetime(2026, 11, 23, 11, tzinfo=Z), tick=False):
        ro.quote_send(quote_id=quote.pk, actor=net.clerk)
        ro.order_assess_warranty(order_id=order.pk, actor=net.tech, exclusions=[])
    order.refresh_from_db()
    return order


def test_the_order_page_reads_in_english(net, client, quoted):
    page = english(client, net.tech).get(quoted.get_absolute_url()).content.decode()
    assert "Waiting for the customer to accept the quote" in page  # pause reason
    assert "等待客户确认报价" not in page
    assert "Out of warranty (purchased 2024-01-05, one-year warranty)" in page
    assert "已过保修期" not in page
    assert "Repair limit (single unit)" in page  # policy name seeded by a migration
    assert "主板损坏，过保" in page  # the diagnosis the technician typed stays as typed


def test_the_order_page_in_zh_hans_is_unchanged(net, client, quoted):
    page = chinese(client, net.tech).get(quoted.get_absolute_url()).content.decode()
    assert "等待客户确认报价" in page
    assert "已过保修期（购买日期 2024-01-05，保修一年）" in page
    assert "维修时限（单台）" in page


def test_a_transition_comment_written_by_a_service_reads_in_english(net, client):
    lot = receive_lot(net, ["EN2"], MONDAY)
    order = lot.orders.get()
    with time_machine.travel(datetime(2026, 11, 23, 10, tzinfo=Z), tick=False):
        ro.order_pick_up(order_id=order.pk, actor=net.tech)
        ro.order_start_repair(order_id=order.pk, actor=net.tech, diagnosis="天线接触不良")
        ro.order_finish_repair(order_id=order.pk, actor=net.tech, notes="换了天线")
        ro.order_finish_burn_in(order_id=order.pk, actor=net.tech)
        ro.order_qc(order_id=order.pk, actor=net.tech, passed=True)
        ro.order_pack(order_id=order.pk, actor=net.tech, packing_list="主机 ×1", parcels=2)
    page = english(client, net.tech).get(order.get_absolute_url()).content.decode()
    assert "2 parcel" in page
    assert "2 件" not in page
    assert "换了天线" in page  # typed
    page = chinese(client, net.tech).get(order.get_absolute_url()).content.decode()
    assert "2 件" in page


def test_the_api_answers_in_the_requested_language(net, client, quoted):
    client.force_login(net.dealer_user)
    url = f"/api/v1/repair-orders/{quoted.pk}/"
    body = client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["warranty_reasons"] == ["Out of warranty (purchased 2024-01-05, one-year warranty)"]
    assert body["limit"]["pause_reason"] == "Waiting for the customer to accept the quote"
    body = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert body["warranty_reasons"] == ["已过保修期（购买日期 2024-01-05，保修一年）"]
    assert body["limit"]["pause_reason"] == "等待客户确认报价"


def test_warranty_reasons_stored_as_plain_text_before_item_19_still_render(net, quoted):
    type(quoted).objects.filter(pk=quoted.pk).update(
        warranty_reasons=["购买一年内，无除外情形", "已过保修期（购买日期 2024-01-05，保修一年）"]
    )
    quoted.refresh_from_db()
    with translation.override("en"):
        assert quoted.warranty_reason_texts == [
            "Within one year of purchase, no exclusion applies",
            "已过保修期（购买日期 2024-01-05，保修一年）",  # parameters unknown: as stored
        ]


def test_step_names_and_the_step_timer_read_in_english(net, client):
    from repairs.services import returns as rma

    with time_machine.travel(MONDAY, tick=False):
        app = rma.rma_create(
            applicant=net.dealer_user,
            header=rma.HeaderInput(
                contact_name="王经理", contact_phone="139", shipping_method="logistics"
            ),
            lines=[
                rma.LineInput(
                    product_model="GPS-X1",
                    serial_number="ST1",
                    fault_description="不定位",
                    purchase_date=date(2026, 9, 1),
                )
            ],
        )
        rma.rma_submit(application_id=app.pk, actor=net.dealer_user)
    page = english(client, net.cs_engineer).get(app.get_absolute_url()).content.decode()
    assert "Local repair engineer confirms" in page
    assert "当地维修工程师确认" not in page
    timer = Deadline.objects.get(kind="rma.approval_step", status="running")
    with translation.override("en"):
        assert timer.label_text.endswith("step 1: Local repair engineer confirms")
    assert timer.label.endswith("第 1 步：当地维修工程师确认")
    note = Notification.objects.filter(recipient=net.cs_engineer, channel="in_app").first()
    with translation.override("en"):
        assert note.subject_text.startswith("Awaiting your signature: ")
        assert note.subject_text.endswith("Local repair engineer confirms")
    with translation.override("en"):  # the policy's name, seeded by repairs 0002
        assert timer.policy_name == "Return application approval step"


def test_amounts_in_the_notification_keep_their_decimal_text():
    text = i18n.deferred(gettext_noop("待发送报价：%(no)s ¥%(t)s"), no="RO-1", t=Decimal("200.50"))
    assert str(text) == "待发送报价：RO-1 ¥200.50"
