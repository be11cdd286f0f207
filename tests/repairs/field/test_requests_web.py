"""The pages (issue 20 items 1–3, 5): the public QR page shows the model and the warranty and
nothing personal, files a request that the rules dispatch and the point accepts on its offer
screen; it keeps CSRF, a honeypot and its per-address and per-unit limits; the staff lists cost
the same queries whatever the rows; the call page offers a prefilled service request."""

import pytest
from django.test import Client
from django.urls import reverse

from repairs.choices import DispatchState, RequestChannel, ServiceRequestState
from repairs.models import InstalledUnit, ServiceRequest
from repairs.services import field_requests as svc
from repairs.views.field_requests import QR_PER_ADDRESS, QR_PER_UNIT

pytestmark = pytest.mark.django_db


def report(client, unit, **extra):
    data = {
        "contact_name": "陈女士",
        "contact_phone": "138 0000 5678",
        "address": "天河路 385 号 12 楼",
        "category": "repair",
        "description": "屏幕不亮",
        "preferred_time": "明天下午",
        **extra,
    }
    return client.post(reverse("qr:unit_page", args=[unit.qr_token]), data)


def test_the_qr_page_shows_the_warranty_and_no_personal_data(field, client):
    page = client.get(f"/u/{field.unit.qr_token}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "GPS-X1" in html and "保修期内" in html and "2027-03-17" in html
    for secret in ("陈秀英", "13800001234", "天河路", field.dealer.name, "GX-2026-0001"):
        assert secret not in html
    assert client.get("/u/not-a-token/").status_code == 404


def test_a_fault_reported_by_qr_is_dispatched_and_the_point_accepts_it(field, client):
    response = report(client, field.unit)
    request = ServiceRequest.objects.get()
    assert response.status_code == 302 and response["Location"].endswith("/thanks/")
    assert request.number in client.get(response["Location"]).content.decode()
    assert (request.channel, request.unit, request.in_warranty) == (
        RequestChannel.QR, field.unit, True,
    )  # fmt: skip
    assert request.contact_phone == "138 0000 5678" and request.created_by is None
    offer = request.dispatches.get()
    assert offer.to_unit == field.tianhe and offer.state == DispatchState.OFFERED

    staff = Client()
    staff.force_login(field.tianhe_staff)
    screen = staff.get(reverse("repairs:offer_detail", args=[offer.pk]))
    assert screen.status_code == 200 and "接单" in screen.content.decode()
    assert "138 0000 5678" not in screen.content.decode()  # the phone once accepted
    other = Client()
    other.force_login(field.gzcity_staff)
    assert other.get(reverse("repairs:offer_detail", args=[offer.pk])).status_code == 404
    done = staff.post(reverse("repairs:offer_act", args=[offer.pk, "accept"]))
    visit = request.visits.get()
    assert done.status_code == 302 and done["Location"] == reverse(
        "repairs:visit_appointment", args=[visit.pk]
    )
    request.refresh_from_db()
    assert request.state == ServiceRequestState.ACCEPTED
    again = staff.post(reverse("repairs:offer_act", args=[offer.pk, "accept"]))
    assert again.status_code == 409


def test_the_qr_form_keeps_csrf_a_honeypot_and_its_limits(field):
    strict = Client(enforce_csrf_checks=True)
    assert report(strict, field.unit).status_code == 403
    client = Client()
    bot = report(client, field.unit, website="http://spam.example")
    assert bot.status_code == 302 and not ServiceRequest.objects.exists()
    # per unit: QR_PER_UNIT reports an hour (the bot's try counted too), then 429
    for _i in range(QR_PER_UNIT - 1):
        assert report(client, field.unit).status_code == 302
    assert report(client, field.unit).status_code == 429
    assert ServiceRequest.objects.count() == QR_PER_UNIT - 1
    # per address, across units
    others = [
        InstalledUnit.objects.create(serial_number=f"Q{i}", product_model="M", org_unit=field.gz)
        for i in range(QR_PER_ADDRESS)
    ]
    fresh = Client(REMOTE_ADDR="10.0.0.9")
    codes = [report(fresh, u).status_code for u in others[:QR_PER_ADDRESS]]
    assert codes == [302] * QR_PER_ADDRESS
    extra = InstalledUnit.objects.create(serial_number="QX", product_model="M", org_unit=field.gz)
    assert report(fresh, extra).status_code == 429
    bad = report(Client(REMOTE_ADDR="10.0.0.10"), extra, contact_phone="abc")
    assert bad.status_code == 400


def test_the_staff_lists_cost_the_same_queries_for_few_and_many_rows(
    field, client, django_assert_max_num_queries
):
    def make(n):
        for i in range(n):
            unit = InstalledUnit.objects.create(
                serial_number=f"L{n}-{i}", product_model="GPS-X1", org_unit=field.gz,
                dealer=field.dealer,
            )  # fmt: skip
            svc.request_file(
                channel=RequestChannel.STAFF, category="repair", contact_name="王",
                contact_phone="13900000000", address="路 1 号", unit=unit, actor=field.dispatcher,
            )  # fmt: skip

    client.force_login(field.dispatcher)
    staff = Client()
    staff.force_login(field.tianhe_staff)
    urls = [
        (client, reverse("repairs:service_request_list")),
        (client, reverse("repairs:service_request_list") + "?state=dispatched&category=repair"),
        (client, reverse("repairs:installed_unit_list") + "?warranty=in&model=gps"),
        (client, reverse("repairs:installed_unit_list")),
        (staff, reverse("repairs:offer_list")),
        (client, reverse("my_work")),
    ]
    make(2)
    for who, url in urls:
        who.get(url)
    counts = {}
    for n in (0, 30):
        make(n)
        for who, url in urls:
            from django.db import connection
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as ctx:
                assert who.get(url).status_code == 200
            counts.setdefault(url, []).append(len(ctx.captured_queries))
    for url, (few, many) in counts.items():
        assert many == few, url
    with django_assert_max_num_queries(30):
        client.get(reverse("repairs:service_request_list"))


def test_the_unit_page_has_its_timeline_and_label_and_a_dealer_sees_only_its_own(field, client):
    request = svc.request_file(
        channel=RequestChannel.STAFF, category="repair", contact_name="王",
        contact_phone="13900000000", address="路 1 号", unit=field.unit, actor=field.dispatcher,
    )  # fmt: skip
    client.force_login(field.dispatcher)
    page = client.get(reverse("repairs:installed_unit_detail", args=[field.unit.pk]))
    assert request.number in page.content.decode()
    label = client.get(reverse("repairs:installed_unit_label", args=[field.unit.pk]))
    assert label.status_code == 200 and b"<svg" in label.content
    assert field.unit.qr_token.encode() in label.content
    mine, theirs = Client(), Client()
    mine.force_login(field.dealer_user)
    theirs.force_login(field.dealer2_user)
    url = reverse("repairs:installed_unit_detail", args=[field.unit.pk])
    assert mine.get(url).status_code == 200 and theirs.get(url).status_code == 404
    detail = reverse("repairs:service_request_detail", args=[request.pk])
    assert theirs.get(detail).status_code == 404


def test_the_call_page_offers_a_prefilled_service_request(field, client):
    from repairs.hooks import call_actions

    class Call:
        caller_name, caller_phone = "李先生", "13712345678"
        product_model, serial_number, summary, number = "GPS-X1", "GX-2026-0001", "不开机", "C-1"

    [action] = call_actions(call=Call(), user=field.agent)
    assert call_actions(call=Call(), user=field.tianhe_staff) == []
    client.force_login(field.agent)
    form = client.get(action["url"]).content.decode()
    assert "13712345678" in form and "GX-2026-0001" in form and "C-1" in form
