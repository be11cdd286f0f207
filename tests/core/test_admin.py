"""Admin screens: every page loads; tokens are issued through the service and shown once; the
calendar is edited through its services; balances and state fields are never form fields."""

import hashlib
import re
from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from network.choices import OrgKind
from network.models import PartnerToken, PrepaidAccount, PrepaidEntry
from network.services import staff_profile_set
from service_ops.workcalendar import clock
from service_ops.workcalendar.models import CalendarChange, CalendarDay, CalendarYear
from tests.factories import issue_token, make_unit, service_user, top_up


@pytest.fixture(autouse=True)
def _chinese_ui():
    """Messages are asserted in Chinese, whatever language an earlier test left active."""
    with translation.override("zh-hans"):
        yield


TOKEN_RE = re.compile(r"so_([0-9a-f]{10})_([A-Za-z0-9_\-]{20,})")


def management_data(response) -> dict:
    """The inline formsets' management forms of an admin change page, for a POST."""
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        form = inline.formset.management_form
        for name in form.fields:
            data[form.add_prefix(name)] = form[name].value()
    return data


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- every page ---------------------------------------------------------------------------------


def test_every_admin_changelist_and_add_page_loads(admin_client, net):
    top_up(net.dealer, "10")
    issue_token(net.dealer, "erp")
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert admin_client.get(url).status_code == 200, url
        assert admin_client.get(url, {"q": "x"}).status_code == 200, url
        add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        expected = 200 if model_admin.has_add_permission(_request()) else 403
        assert admin_client.get(add).status_code == expected, add
        first = model._default_manager.first()
        if first is not None:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
            assert admin_client.get(change).status_code == 200, change


def _request():
    request = RequestFactory().get("/")
    request.user = get_user_model().objects.get(username="admin")
    return request


def test_log_models_are_read_only(admin_client, db):
    for name in ["calendarchange", "deadline", "deadlinelog", "notification", "transitionlog"]:
        assert admin_client.get(reverse(f"admin:service_ops_{name}_add")).status_code == 403


# --- partner tokens -----------------------------------------------------------------------------


def _issue_through_admin(admin_client, unit, user, name="ERP 对接"):
    return admin_client.post(
        reverse("admin:network_partnertoken_add"),
        {
            "org_unit": unit.pk,
            "user": user.pk,
            "name": name,
            "expires_at_0": "",
            "expires_at_1": "",
        },
        follow=True,
    )


def test_issuing_a_token_shows_the_plaintext_once_and_stores_only_the_digest(admin_client, net):
    user = service_user("xj-erp")
    response = _issue_through_admin(admin_client, net.dealer, user)
    assert response.status_code == 200
    html = response.content.decode()
    match = TOKEN_RE.search(html)
    assert match, html
    prefix, secret = match.groups()
    token = PartnerToken.objects.get()
    assert (token.prefix, token.org_unit, token.user, token.name) == (
        prefix,
        net.dealer,
        user,
        "ERP 对接",
    )
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert not any(secret in str(v) for v in PartnerToken.objects.values().get().values())
    assert user.profile.org_unit == net.dealer
    # shown once: the change page and the list never show it again
    change = admin_client.get(reverse("admin:network_partnertoken_change", args=[token.pk]))
    assert secret not in change.content.decode()
    assert prefix in change.content.decode()
    assert 'name="digest"' not in change.content.decode()
    assert 'name="prefix"' not in change.content.decode()
    listing = admin_client.get(reverse("admin:network_partnertoken_changelist"))
    assert secret not in listing.content.decode()
    # and the token works
    api = APIClient(HTTP_AUTHORIZATION=f"Bearer so_{prefix}_{secret}")
    assert api.get("/api/v1/me").json()["org_unit"]["code"] == "D-XJ"


def test_the_admin_refuses_a_token_for_a_user_of_another_organisation(admin_client, net):
    response = _issue_through_admin(admin_client, net.dealer, net.dealer2_user)
    assert response.status_code == 200
    assert "服务账号属于其他组织" in response.content.decode()
    assert not PartnerToken.objects.exists()


def test_tokens_are_revoked_by_an_admin_action(admin_client, net):
    token, _ = issue_token(net.dealer, "erp")
    response = admin_client.post(
        reverse("admin:network_partnertoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
        follow=True,
    )
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None


# --- prepaid accounts ---------------------------------------------------------------------------


def _account_url(account):
    return reverse("admin:network_prepaidaccount_change", args=[account.pk])


def test_the_balance_is_not_a_form_field_and_cannot_be_posted(admin_client, net):
    top_up(net.dealer, "100")
    account = PrepaidAccount.objects.get()
    page = admin_client.get(_account_url(account))
    assert 'name="balance"' not in page.content.decode()
    assert "100.00" in page.content.decode()
    data = {**management_data(page), "balance": "999999.00"}
    response = admin_client.post(_account_url(account), data, follow=True)
    assert response.status_code == 200
    account.refresh_from_db()
    assert account.balance == Decimal("100.00")
    assert PrepaidEntry.objects.count() == 1


def test_a_top_up_from_the_account_page_goes_through_the_ledger(admin_client, net):
    top_up(net.dealer, "100")
    account = PrepaidAccount.objects.get()
    page = admin_client.get(_account_url(account))
    data = {
        **management_data(page),
        "entry_kind": "top_up",
        "amount": "50.00",
        "reference": "银行回单 88",
        "note": "",
    }
    response = admin_client.post(_account_url(account), data, follow=True)
    assert response.status_code == 200
    account.refresh_from_db()
    assert account.balance == Decimal("150.00")
    entry = PrepaidEntry.objects.order_by("-id").first()
    assert (entry.kind, entry.amount, entry.balance_after, entry.reference) == (
        "top_up",
        Decimal("50.00"),
        Decimal("150.00"),
        "银行回单 88",
    )
    assert entry.created_by.username == "admin"
    assert any("余额 ¥150.00" in t for t in texts(response))


def test_a_charge_beyond_the_balance_is_refused_on_the_account_page(admin_client, net):
    top_up(net.dealer, "10")
    account = PrepaidAccount.objects.get()
    page = admin_client.get(_account_url(account))
    data = {**management_data(page), "entry_kind": "charge", "amount": "10.01"}
    response = admin_client.post(_account_url(account), data)
    assert response.status_code == 200  # the form again, with the error
    assert "余额不足" in response.content.decode()
    account.refresh_from_db()
    assert account.balance == Decimal("10.00")


def test_an_account_is_opened_from_the_admin_with_its_first_top_up(admin_client, net):
    url = reverse("admin:network_prepaidaccount_add")
    response = admin_client.post(
        url, {"org_unit": net.point.pk, "entry_kind": "top_up", "amount": "20"}, follow=True
    )
    assert response.status_code == 200
    account = PrepaidAccount.objects.get(org_unit=net.point)
    assert account.balance == Decimal("20.00")
    # headquarters has no prepaid account to open
    response = admin_client.post(
        url, {"org_unit": net.hq.pk, "entry_kind": "top_up", "amount": "20"}
    )
    assert response.status_code == 200
    assert not PrepaidAccount.objects.filter(org_unit=net.hq).exists()


# --- the company calendar -----------------------------------------------------------------------


def test_editing_a_calendar_day_goes_through_the_calendar_service(admin_client, db):
    day = date(2026, 10, 12)  # a Monday
    assert clock.is_working_day(day)
    url = reverse("admin:service_ops_calendarday_change", args=[day.isoformat()])
    page = admin_client.get(url)
    assert page.status_code == 200
    response = admin_client.post(url, {"note": "公司年会"}, follow=True)  # is_working unticked
    assert response.status_code == 200
    stored = CalendarDay.objects.get(date=day)
    assert (stored.is_working, stored.is_override, stored.note) == (False, True, "公司年会")
    change = CalendarChange.objects.get(kind=CalendarChange.Kind.OVERRIDE)
    assert (change.date, change.actor.username) == (day, "admin")
    assert not clock.is_working_day(day)
    assert any("重算了 0 个计时器" in t for t in texts(response))


def test_confirming_a_provisional_year_with_the_published_schedule(admin_client, db):
    clock.is_working_day(date(2027, 1, 4))  # seeds 2027, provisional
    year = CalendarYear.objects.get(year=2027)
    assert year.provisional
    listing = admin_client.get(reverse("admin:service_ops_calendaryear_changelist"))
    assert "暂定，待确认" in listing.content.decode()
    url = reverse("admin:service_ops_calendaryear_change", args=[year.pk])

    bad = admin_client.post(url, {"schedule": "2027-02-06~2027-02-13 休 春节\n春节 放假七天"})
    assert bad.status_code == 200
    assert "第 2 行无法识别" in bad.content.decode()
    year.refresh_from_db()
    assert year.provisional

    schedule = "2027-02-06~2027-02-13 休 春节\n2027-02-14 班 春节调休"
    response = admin_client.post(url, {"schedule": schedule}, follow=True)
    assert response.status_code == 200
    year.refresh_from_db()
    assert not year.provisional
    assert year.published_schedule == schedule
    assert CalendarChange.objects.filter(kind=CalendarChange.Kind.CONFIRM, year=2027).exists()
    assert CalendarDay.objects.get(date=date(2027, 2, 14)).is_working  # a Sunday, made up
    assert any("已确认 2027 年" in t for t in texts(response))


def test_a_year_is_seeded_from_the_admin(admin_client, db):
    response = admin_client.post(
        reverse("admin:service_ops_calendaryear_add"), {"year": 2028}, follow=True
    )
    assert response.status_code == 200
    assert CalendarYear.objects.get(year=2028).provisional
    assert CalendarDay.objects.filter(date__year=2028).count() == 366


# --- users ----------------------------------------------------------------------------------------


def test_the_user_page_has_the_staff_profile_and_roles_inline(admin_client, net):
    page = admin_client.get(reverse("admin:auth_user_change", args=[net.cs_manager.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="profile-0-org_unit"' in html
    assert 'name="role_assignments-0-role"' in html


def test_a_profile_can_be_moved_by_the_service(db):
    hq = make_unit("HQ", OrgKind.HEADQUARTERS)
    user = service_user("someone")
    assert staff_profile_set(user=user, org_unit=hq).org_unit == hq
