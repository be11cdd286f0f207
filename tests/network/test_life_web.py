"""The network specialist's screens of the network's life, their scope and query counts, the
partner API of a point's own profile, documents and evaluations (leak test), and 我的工作."""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from network.choices import PointGrade, PointStatus, Role
from network.life import services as svc
from network.life.choices import ApplicationState, EvaluationState
from network.life.models import PointApplication, PointEvaluation, TrainingSession
from network.models import ServiceArea, ServicePointProfile
from service_ops.work import work_of
from tests.factories import bearer, issue_token, make_user

from .life_support import application_data, pdf, point, specialist

pytestmark = pytest.mark.django_db


@pytest.fixture
def sp(net):
    return specialist(net)


def _points(net, n, parent=None, prefix="SP"):
    units = []
    for i in range(n):
        unit = point(net, f"{prefix}-{i:02d}", parent=parent, grade="ABCD"[i % 4])
        ServiceArea.objects.create(org_unit=unit, province="广东省" if i % 2 else "湖南省")
        units.append(unit)
    return units


def test_points_list_filters_and_keeps_its_query_count(
    client, net, sp, django_assert_max_num_queries
):
    _points(net, 3)
    client.force_login(sp)
    url = reverse("network:point_list")
    client.get(url)  # warm the per-process caches (menus, reversing)
    with django_assert_max_num_queries(20) as few:
        assert client.get(url).status_code == 200
    _points(net, 30, prefix="SQ")
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(url).text
    assert len(re.findall(r'href="/network/points/\d+/"', html)) == 25  # one keyset page
    html = client.get(url, {"grade": "A", "province": "广东省"}).text
    assert "SQ-08" not in html and "SQ-09" not in html  # grade B, province 广东
    html = client.get(url, {"grade": "B", "province": "广东省"}).text
    assert "SQ-09" in html and "SQ-08" not in html


def test_a_branch_reads_its_points_only_and_partners_none(client, net):
    gz_point = point(net, "SP-GZ")
    cs_point = point(net, "SP-CS", parent=net.cs)
    client.force_login(net.gz_manager)
    html = client.get(reverse("network:point_list")).text
    assert "SP-GZ" in html and "SP-CS" not in html
    assert client.get(reverse("network:point_detail", args=[cs_point.pk])).status_code == 404
    assert client.get(reverse("network:point_detail", args=[gz_point.pk])).status_code == 200
    staff = make_user("gz_point_staff", gz_point, Role.SERVICE_POINT_STAFF)
    client.force_login(staff)
    assert client.get(reverse("network:point_list")).status_code == 403


def test_the_point_page_suspends_with_a_reason(client, net, sp):
    unit = point(net, "SP-A")
    client.force_login(sp)
    url = reverse("network:point_standing", args=[unit.pk, "suspend"])
    response = client.post(url, {"suspend-reason": ""})
    assert response.status_code == 400
    assert ServicePointProfile.objects.get(org_unit=unit).status == PointStatus.ACTIVE
    response = client.post(url, {"suspend-reason": "整改"})
    assert response.status_code == 302
    assert ServicePointProfile.objects.get(org_unit=unit).status == PointStatus.SUSPENDED
    # suspending again is not allowed now: said, nothing changes
    response = client.post(url, {"suspend-reason": "again"}, follow=True)
    assert "此操作在当前状态下不允许" in response.text
    page = client.get(reverse("network:point_detail", args=[unit.pk])).text
    assert "整改" in page and "恢复合作" in page
    client.force_login(net.gz_manager)  # a reader, not a manager
    assert (
        client.post(url.replace("suspend", "reinstate"), {"reinstate-reason": "x"}).status_code
        == 403
    )


def test_an_application_goes_through_the_screens(client, net, sp):
    client.force_login(net.gz_manager)
    data = application_data(net)
    form = {
        **{k: v for k, v in data.items() if k not in {"parent", "areas", "skills"}},
        "parent": net.gz.pk,
        "areas": "广东省 广州市 番禺区\n广东省 广州市 南沙区",
        "skills": "安装,维修",
    }
    response = client.post(reverse("network:application_new"), form)
    assert response.status_code == 302, response.text
    app = PointApplication.objects.get()
    response = client.post(
        reverse("network:application_action", args=[app.pk, "document"]),
        {"kind": "business_licence", "expires_on": "2030-01-01", "file": pdf()},
    )
    assert response.status_code == 302
    assert (
        client.post(reverse("network:application_action", args=[app.pk, "review"])).status_code
        == 403
    )
    client.force_login(sp)
    assert "入网申请" in client.get(reverse("network:application_list")).text
    client.post(reverse("network:application_action", args=[app.pk, "review"]))
    response = client.post(
        reverse("network:application_action", args=[app.pk, "approve"]),
        {"approve-note": "同意", "approve-code": "S-GZ-PY"},
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.state == ApplicationState.APPROVED and app.org_unit.code == "S-GZ-PY"
    page = client.get(reverse("network:point_detail", args=[app.org_unit_id])).text
    assert "营业执照" in page and "番禺区" in page and "入网审核中" in page  # the log's from


def test_evaluation_screens_confirm(client, net, sp):
    unit = point(net, "SP-E", grade=PointGrade.B)
    ev = PointEvaluation.objects.create(
        org_unit=unit,
        period="2026Q1",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 4, 1),
        grade_before="B",
        suggested_grade="A",
        score=92,
        facts={"dispatches": 10, "dispatches_accepted_in_time": 10},
    )
    client.force_login(sp)
    assert "SP-E" in client.get(reverse("network:evaluation_list")).text
    url = ev.get_absolute_url()
    assert client.post(url, {"grade": "C"}).status_code == 400  # differs: reason needed
    assert client.post(url, {"grade": "A"}).status_code == 302
    ev.refresh_from_db()
    assert ev.state == EvaluationState.CONFIRMED
    assert ServicePointProfile.objects.get(org_unit=unit).grade == "A"


def test_training_screens(client, net, sp):
    client.force_login(sp)
    starts = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("network:training_new"),
        {
            "topic": "上门服务规范",
            "starts_at": starts,
            "hours": "2",
            "trainer_name": "李老师",
            "mode": "online",
            "place": "https://meet.example.com/a",
            "pass_score": "60",
            "org_unit": net.hq.pk,
        },
    )
    assert response.status_code == 302, response.text
    session = TrainingSession.objects.get()
    response = client.post(
        reverse("network:training_action", args=[session.pk, "attendees"]),
        {"users": [net.gz_engineer.pk, net.cs_engineer.pk]},
    )
    assert response.status_code == 302
    html = client.get(session.get_absolute_url()).text
    assert "gz_engineer" in html or net.gz_engineer.get_full_name() in html
    assert client.get(reverse("network:training_list")).status_code == 200
    record = client.get(reverse("network:training_record", args=[net.gz_engineer.pk]))
    assert "上门服务规范" in record.text
    client.force_login(net.cs_manager)  # cannot read a gz engineer's record
    assert (
        client.get(reverse("network:training_record", args=[net.gz_engineer.pk])).status_code == 404
    )


def test_my_work_lists_what_waits_for_the_specialist(net, sp):
    unit = point(net, "SP-W")
    svc.application_submit(actor=net.gz_manager, **application_data(net))
    svc.document_add(
        actor=sp,
        org_unit=unit,
        kind="business_licence",
        expires_on=timezone.localdate() + timedelta(days=10),
        file=pdf(),
    )
    PointEvaluation.objects.create(
        org_unit=unit,
        period="2026Q1",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 4, 1),
        grade_before="B",
        suggested_grade="B",
    )
    kinds = {item.kind for item in work_of(sp).items}
    assert {"network.applications", "network.documents", "network.evaluations"} <= kinds
    assert not {
        k for k in (i.kind for i in work_of(net.gz_engineer).items) if k.startswith("network.")
    }


def test_a_point_reads_its_own_profile_documents_and_evaluations_only(client, net, sp):
    mine = point(net, "SP-MINE")
    theirs = point(net, "SP-THEIRS")
    for unit in (mine, theirs):
        svc.document_add(actor=sp, org_unit=unit, kind="business_licence", file=pdf())
        PointEvaluation.objects.create(
            org_unit=unit,
            period="2026Q1",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 4, 1),
            grade_before="B",
            suggested_grade="B",
        )
    _token, plaintext = issue_token(mine, "api-mine")
    auth = bearer(plaintext)
    listing = client.get("/api/v1/service-points/", **auth).json()
    assert [p["code"] for p in listing["results"]] == ["SP-MINE"]
    assert listing["results"][0]["profile"]["grade"] == "B"
    assert client.get(f"/api/v1/service-points/{mine.pk}/documents/", **auth).status_code == 200
    assert len(client.get(f"/api/v1/service-points/{mine.pk}/evaluations/", **auth).json()) == 1
    for path in ("", "documents/", "evaluations/"):
        response = client.get(f"/api/v1/service-points/{theirs.pk}/{path}", **auth)
        assert response.status_code == 404, path
    assert client.post("/api/v1/service-points/", {}, **auth).status_code == 405
