"""Audit of master data (issue 16 item 2): who changed what and when — through the admin, a
service, a web page or a bulk write — recorded field by field and shown on each object; secrets
never reach the log."""

import hashlib
import re
from datetime import date

import pytest
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import apps
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from network.choices import Role
from network.models import OrgUnit, PartnerToken, RoleAssignment
from network.services import token_revoke
from service_ops import plugins
from service_ops.audit import acting_as, record_bulk
from service_ops.workcalendar.models import CalendarDay, CalendarYear
from service_ops.workcalendar.services import (
    calendar_confirm_year,
    calendar_seed_year,
)
from tests.factories import issue_token, service_user

SCHEDULE_2027 = """\
2027-01-01~2027-01-04 休 元旦
2027-02-20 班 春节调休
"""


@pytest.fixture(autouse=True)
def _chinese_ui():
    with translation.override("zh-hans"):
        yield


def entries_of(obj):
    return LogEntry.objects.get_for_object(obj).order_by("timestamp", "id")


# --- what is registered -------------------------------------------------------------------------


def test_every_declared_model_is_audited_and_the_master_data_of_issue_16_is_declared():
    declared = {item.model.lower() for item in plugins.audited()}
    expected = {
        "network.orgunit",
        "auth.user",
        "network.staffprofile",
        "network.roleassignment",
        "network.delegation",
        "network.partnertoken",
        "service_ops.deadlinepolicy",
        "service_ops.calendaryear",
        "service_ops.calendarday",
        "repairs.approvalchaintemplate",
        "repairs.approvalsteptemplate",
        "repairs.lotlimitrule",
        "repairs.returnpolicy",
    }
    assert expected <= declared
    for label in declared:
        assert auditlog.contains(apps.get_model(label)), label


def test_secrets_and_derived_columns_are_never_tracked():
    token_fields = auditlog.get_model_fields(PartnerToken)["exclude_fields"]
    assert {"digest", "last_used_at"} <= set(token_fields)
    assert "password" in auditlog.get_model_fields(get_user_model())["exclude_fields"]
    assert "path" in auditlog.get_model_fields(OrgUnit)["exclude_fields"]


# --- the actor ----------------------------------------------------------------------------------


def test_an_admin_edit_records_the_admin_with_before_and_after(admin_client, admin_user, net):
    url = reverse("admin:network_orgunit_change", args=[net.point.pk])
    response = admin_client.post(
        url,
        {
            "code": net.point.code,
            "name": net.point.name,
            "kind": net.point.kind,
            "branch_kind": "",
            "parent": net.gz.pk,
            "is_active": "on",
            "gps_upgrade": "",
            "contact_name": "王师傅",
            "phone": "020-88886666",
            "address": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = entries_of(net.point).last()
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.actor == admin_user
    assert entry.changes_dict["phone"] == ["", "020-88886666"]
    assert entry.changes_dict["contact_name"] == ["", "王师傅"]
    assert entry.remote_addr == "127.0.0.1"

    # the admin's history page of the unit shows who, when and what
    history = admin_client.get(reverse("admin:network_orgunit_history", args=[net.point.pk]))
    html = history.content.decode()
    assert history.status_code == 200
    assert "变更记录" in html
    assert "020-88886666" in html
    assert admin_user.get_username() in html


def test_a_service_records_the_actor_it_was_handed(net):
    token, _plaintext = issue_token(net.dealer, "erp", actor=net.head)
    assert entries_of(token).get().actor == net.head  # created by the head, outside a request
    token_revoke(token=token, actor=net.clerk)
    revoked = entries_of(token).last()
    assert revoked.actor == net.clerk
    assert set(revoked.changes_dict) == {"revoked_at"}
    assert revoked.changes_dict["revoked_at"][0] == "None"


def test_a_change_with_no_person_behind_it_is_the_system(net):
    with acting_as(None):  # e.g. a Celery task: nobody to name
        RoleAssignment.objects.create(user=net.clerk, role=Role.WAREHOUSE_KEEPER, org_unit=net.hq)
    entry = LogEntry.objects.get_for_model(RoleAssignment).latest("id")
    assert entry.actor is None
    assert entry.changes_dict["role"] == ["None", Role.WAREHOUSE_KEEPER]


def test_a_web_page_records_the_signed_in_person(client, net):
    calendar_seed_year(2026)
    client.force_login(net.head)
    response = client.post(
        reverse("calendar_set_day"),
        {"day": "2026-03-02", "is_working": "0", "note": "停电"},
    )
    assert response.status_code in (200, 302)
    entry = entries_of(CalendarDay.objects.get(date=date(2026, 3, 2))).last()
    assert entry.actor == net.head
    assert entry.changes_dict["is_working"] == ["True", "False"]
    assert entry.changes_dict["note"] == ["", "停电"]


def test_deleting_a_role_is_recorded_and_shown_on_the_units_page(client, net):
    role = RoleAssignment.objects.get(user=net.cs_manager, org_unit=net.cs)
    with acting_as(net.head):
        role.delete()
    entry = LogEntry.objects.get_for_model(RoleAssignment).filter(action=2).get()
    assert entry.actor == net.head
    client.force_login(net.head)
    html = client.get(reverse("network:org_unit_detail", args=[net.cs.pk])).content.decode()
    assert "变更记录" in html
    assert "删除" in html and "角色" in html


# --- bulk writes --------------------------------------------------------------------------------


def test_seeding_a_year_records_one_bulk_row_on_the_year(db):
    cal_year = calendar_seed_year(2026)
    rows = entries_of(cal_year)
    bulk = [row for row in rows if (row.additional_data or {}).get("bulk")]
    assert len(bulk) == 1
    assert bulk[0].actor is None  # nobody asked: the system
    assert bulk[0].changes_dict["calendar_days"] == ["None", "365"]
    assert bulk[0].changes_dict["working_days"][1].isdigit()


def test_confirming_a_year_records_each_changed_day_with_the_actor(net):
    calendar_seed_year(2027)
    before = dict(CalendarDay.objects.filter(date__year=2027).values_list("date", "is_working"))
    calendar_confirm_year(year=2027, schedule_text=SCHEDULE_2027, actor=net.head)
    after = dict(CalendarDay.objects.filter(date__year=2027).values_list("date", "is_working"))
    flipped = {day for day in after if before[day] != after[day]}
    assert date(2027, 2, 20) in flipped  # a Saturday that became a make-up working day

    day_rows = LogEntry.objects.get_for_model(CalendarDay)
    logged = {row.object_pk: row for row in day_rows}
    for day in flipped:
        row = logged[day.isoformat()]
        assert row.actor == net.head
        assert row.additional_data["bulk"] is True
        assert row.changes_dict["is_working"] == [str(before[day]), str(after[day])]
    # the year's own row (provisional → confirmed) names the head too
    year_row = entries_of(CalendarYear.objects.get(year=2027)).filter(actor=net.head).get()
    assert year_row.changes_dict["provisional"] == ["True", "False"]


def test_the_years_admin_history_shows_the_bulk_rows(admin_client, admin_user):
    calendar_seed_year(2027)
    calendar_confirm_year(year=2027, schedule_text=SCHEDULE_2027, actor=admin_user)
    cal_year = CalendarYear.objects.get(year=2027)
    html = admin_client.get(
        reverse("admin:service_ops_calendaryear_history", args=[cal_year.pk])
    ).content.decode()
    assert "批量" in html
    assert "2027-02-20" in html


def test_record_bulk_writes_one_row_per_changed_object_and_skips_unchanged_ones(net):
    with acting_as(net.head):
        written = record_bulk(
            OrgUnit,
            {
                net.dealer.pk: {"is_active": (True, False)},
                net.dealer2.pk: {"is_active": (True, True)},
            },
            reason="test",
        )
    assert written == 1
    row = entries_of(net.dealer).last()
    assert (row.actor, row.changes_dict) == (net.head, {"is_active": ["True", "False"]})
    assert row.additional_data == {"bulk": True, "reason": "test"}


# --- shown on each object -----------------------------------------------------------------------


def test_the_unit_page_shows_its_changes_to_company_people_only(client, net):
    with acting_as(net.head):
        net.dealer.phone = "0731-1234567"
        net.dealer.save()
    client.force_login(net.head)
    html = client.get(reverse("network:org_unit_detail", args=[net.dealer.pk])).content.decode()
    card = html[html.index("变更记录") :]
    assert "0731-1234567" in card
    assert net.head.get_full_name() or net.head.get_username() in card
    assert "电话" in card

    client.force_login(net.dealer_user)  # the dealer sees its unit, not who edited it
    html = client.get(reverse("network:org_unit_detail", args=[net.dealer.pk])).content.decode()
    assert "变更记录" not in html


def test_every_audited_admin_history_page_loads(admin_client, net):
    from django.contrib import admin

    issue_token(net.dealer, "erp")
    calendar_seed_year(2026)
    for model in auditlog.get_models():
        if model not in admin.site._registry:
            continue
        obj = model._default_manager.first()
        if obj is None:
            continue
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert "变更记录" in response.content.decode(), url


# --- secrets ------------------------------------------------------------------------------------


TOKEN_RE = re.compile(r"so_([0-9a-f]{10})_([A-Za-z0-9_\-]{20,})")


def test_a_token_secret_its_digest_and_passwords_never_reach_the_log(admin_client, net):
    user = service_user("xj-erp")
    response = admin_client.post(
        reverse("admin:network_partnertoken_add"),
        {"org_unit": net.dealer.pk, "user": user.pk, "name": "ERP", "expires_at_0": ""},
        follow=True,
    )
    plaintext = TOKEN_RE.search(response.content.decode())
    assert plaintext, "the admin shows the new token once"
    secret = plaintext.group(2)
    token = PartnerToken.objects.get()
    token_revoke(token=token, actor=net.head)
    user.set_password("a-new-secret-password")
    user.save()

    digest = hashlib.sha256(secret.encode()).hexdigest()
    needles = {secret, plaintext.group(0), token.digest, digest}
    needles |= {user.password, "a-new-secret-password"}
    assert LogEntry.objects.filter(content_type__model="partnertoken").exists()
    for row in LogEntry.objects.all():
        dump = " ".join(
            str(v)
            for v in (
                row.changes,
                row.changes_text,
                row.serialized_data,
                row.object_repr,
                row.additional_data,
            )
        )
        for needle in needles:
            assert needle not in dump, (row.content_type, row.changes)


def test_the_request_user_is_read_when_the_row_is_written_so_an_api_token_caller_counts(net):
    """DRF authenticates a partner's token inside the view, after every middleware ran: the
    middleware reads request.user when the audit row is written, not when the request arrives."""
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse
    from django.test import RequestFactory

    from service_ops.audit.context import AuditActorMiddleware

    request = RequestFactory().post("/api/v1/anything/")
    request.user = AnonymousUser()

    def view(req):
        req.user = net.dealer_user  # what DRF's token authentication does
        RoleAssignment.objects.create(user=net.dealer_user, role=Role.DEALER_STAFF, org_unit=net.hq)
        return HttpResponse()

    AuditActorMiddleware(view)(request)
    entry = LogEntry.objects.get_for_model(RoleAssignment).latest("id")
    assert entry.actor == net.dealer_user
    with acting_as(None):  # outside the request again: the system
        RoleAssignment.objects.filter(pk=entry.object_id).get().delete()
    assert LogEntry.objects.get_for_model(RoleAssignment).latest("id").actor is None
