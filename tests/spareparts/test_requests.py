"""Part requests (配件申请): a service point or field office asks headquarters for parts; the
parts supervisor approves, the parts staff pick (reserved at headquarters) and ship (out of
headquarters, in transit), the requester receives (into its own warehouse). The ledger is
checked at each step and no balance ever goes below zero."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.urls import reverse
from django_fsm import TransitionNotAllowed

from service_ops.deadlines.models import Deadline
from service_ops.deadlines.sweep import sweep_deadlines
from service_ops.notifications.models import Notification
from service_ops.transitions.models import TransitionLog
from spareparts.choices import MovementKind, RequestState
from spareparts.models import PartRequest, StockBalance, StockMovement
from spareparts.selectors.requests import PartRequestProvider
from spareparts.services import requests as rq
from spareparts.services.stock import stock_receive

pytestmark = pytest.mark.django_db
Z = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 9, 10, tzinfo=Z)


def bal(part, warehouse):
    row = StockBalance.objects.filter(part=part, warehouse=warehouse).first()
    return (row.on_hand, row.reserved) if row else (0, 0)


def ledger_matches(part, warehouse):
    sums = StockMovement.objects.filter(part=part, warehouse=warehouse).aggregate(
        h=Sum("on_hand_change"), r=Sum("reserved_change")
    )
    return ((sums["h"] or 0), (sums["r"] or 0)) == bal(part, warehouse)


def never_negative():
    return not StockMovement.objects.filter(on_hand_after__lt=0).exists() and not (
        StockBalance.objects.filter(on_hand__lt=0).exists()
    )


@pytest.fixture
def stocked(parts):
    stock_receive(part=parts.board, warehouse=parts.hq_wh, quantity=5, actor=parts.parts_clerk)
    stock_receive(part=parts.cable, warehouse=parts.hq_wh, quantity=20, actor=parts.parts_clerk)
    return parts


def ask(p, lines=None, **kw):
    return rq.part_request_create(
        warehouse=p.point_wh,
        lines=lines or [(p.board, 3), (p.cable, 10)],
        actor=p.point_user,
        **kw,
    )


def test_a_request_goes_from_requested_to_received_with_the_ledger_right_at_every_step(stocked):
    p = stocked
    request = ask(p)
    assert request.state == RequestState.REQUESTED and request.number.startswith("SQ-")
    assert bal(p.board, p.hq_wh) == (5, 0)

    board_line = request.lines.get(part=p.board)
    rq.part_request_approve(request_id=request.pk, actor=p.parts_sup, quantities={board_line.pk: 2})
    request.refresh_from_db()
    assert request.state == RequestState.APPROVED
    assert [(line.part_id, line.granted) for line in request.lines.order_by("part_id")] == sorted(
        [(p.board.pk, 2), (p.cable.pk, 10)]
    )

    rq.part_request_pick(request_id=request.pk, actor=p.parts_clerk)
    assert bal(p.board, p.hq_wh) == (5, 2) and bal(p.cable, p.hq_wh) == (20, 10)

    rq.part_request_ship(request_id=request.pk, actor=p.parts_clerk)
    assert bal(p.board, p.hq_wh) == (3, 0) and bal(p.cable, p.hq_wh) == (10, 0)
    assert bal(p.board, p.point_wh) == (0, 0)  # in transit

    rq.part_request_receive(request_id=request.pk, actor=p.point_user)
    request.refresh_from_db()
    assert request.state == RequestState.RECEIVED
    assert bal(p.board, p.point_wh) == (2, 0) and bal(p.cable, p.point_wh) == (10, 0)
    moves = StockMovement.objects.filter(transfer_id=request.transfer_id)
    assert sorted(moves.values_list("kind", flat=True)) == [
        MovementKind.TRANSFER_IN,
        MovementKind.TRANSFER_IN,
        MovementKind.TRANSFER_OUT,
        MovementKind.TRANSFER_OUT,
    ]
    for part in (p.board, p.cable):
        for wh in (p.hq_wh, p.point_wh):
            assert ledger_matches(part, wh)
    assert never_negative()
    assert list(
        TransitionLog.objects.filter(
            object_id=request.pk, transition__in=["approve", "pick", "ship", "receive"]
        )
        .order_by("id")
        .values_list("transition", flat=True)
    ) == ["approve", "pick", "ship", "receive"]
    # the requester heard of every step
    assert Notification.objects.filter(recipient=p.point_user).count() >= 4


def test_a_rejected_request_changes_no_stock_and_keeps_its_reason(stocked):
    p = stocked
    request = ask(p)
    before = StockMovement.objects.count()
    with pytest.raises(ValidationError):
        rq.part_request_reject(request_id=request.pk, actor=p.parts_sup, reason=" ")
    rq.part_request_reject(request_id=request.pk, actor=p.parts_sup, reason="本月已超配额")
    request.refresh_from_db()
    assert request.state == RequestState.REJECTED and request.reject_reason == "本月已超配额"
    assert StockMovement.objects.count() == before
    assert bal(p.board, p.hq_wh) == (5, 0)
    with pytest.raises(TransitionNotAllowed):
        rq.part_request_pick(request_id=request.pk, actor=p.parts_clerk)


def test_picking_more_than_is_available_is_refused_and_nothing_is_reserved(stocked):
    p = stocked
    request = ask(p, lines=[(p.cable, 5), (p.board, 6)])
    rq.part_request_approve(request_id=request.pk, actor=p.parts_sup)
    before = StockMovement.objects.count()
    with pytest.raises(ValidationError, match="GPS-MB-01 库存不足：可用 5，需要 6"):
        rq.part_request_pick(request_id=request.pk, actor=p.parts_clerk)
    request.refresh_from_db()
    assert request.state == RequestState.APPROVED
    assert StockMovement.objects.count() == before
    assert bal(p.cable, p.hq_wh) == (20, 0)


def test_only_the_warehouse_s_own_people_request_and_only_the_supervisor_approves(stocked):
    p = stocked
    with pytest.raises(PermissionDenied):
        rq.part_request_create(warehouse=p.office_wh, lines=[(p.cable, 1)], actor=p.point_user)
    with pytest.raises(PermissionDenied):
        rq.part_request_create(warehouse=p.hq_wh, lines=[(p.cable, 1)], actor=p.parts_clerk)
    with pytest.raises(ValidationError):
        rq.part_request_create(warehouse=p.point_wh, lines=[(p.cable, 0)], actor=p.point_user)
    request = ask(p)
    with pytest.raises(PermissionDenied):
        rq.part_request_approve(request_id=request.pk, actor=p.parts_clerk)
    with pytest.raises(PermissionDenied):
        rq.part_request_approve(request_id=request.pk, actor=p.point_user)
    with pytest.raises(ValidationError):
        rq.part_request_approve(
            request_id=request.pk,
            actor=p.parts_sup,
            quantities={line.pk: 0 for line in request.lines.all()},
        )


def test_an_approval_left_waiting_escalates_to_the_parts_supervisor(stocked):
    p = stocked
    with time_machine.travel(MONDAY, tick=False):
        request = ask(p)
    deadline = Deadline.objects.get(owner_id=request.pk, policy__code=rq.APPROVAL_POLICY)
    Notification.objects.filter(recipient=p.parts_sup).delete()
    sweep_deadlines(now=datetime(2026, 11, 11, 10, tzinfo=Z))  # two working days later
    deadline.refresh_from_db()
    assert deadline.breached_at is not None
    assert Notification.objects.filter(recipient=p.parts_sup).exists()
    rq.part_request_approve(request_id=request.pk, actor=p.parts_sup)
    deadline.refresh_from_db()
    assert not deadline.is_open
    assert Deadline.objects.get(owner_id=request.pk, policy__code=rq.DISPATCH_POLICY).is_open


def test_pending_requests_reach_the_parts_staff_s_work(stocked):
    p = stocked
    request = ask(p)
    now = MONDAY
    sup_items = PartRequestProvider().items(p.parts_sup, now=now, limit=10)
    assert [i.key for i in sup_items] == [f"spareparts.request:{request.pk}"]
    assert PartRequestProvider().items(p.parts_clerk, now=now, limit=10) == []
    assert PartRequestProvider().items(p.point_user, now=now, limit=10) == []
    rq.part_request_approve(request_id=request.pk, actor=p.parts_sup)
    assert len(PartRequestProvider().items(p.parts_clerk, now=now, limit=10)) == 1


def test_a_service_point_sees_its_own_requests_and_another_unit_gets_404(stocked, client):
    p = stocked
    request = ask(p)
    client.force_login(p.point_user)
    assert client.get(reverse("spareparts:request_detail", args=[request.pk])).status_code == 200
    client.force_login(p.dealer_user)
    assert client.get(reverse("spareparts:request_detail", args=[request.pk])).status_code == 404
    page = client.get(reverse("spareparts:request_list"))
    assert request.number not in page.content.decode()


def test_the_request_pages_walk_the_whole_path(stocked, client):
    p = stocked
    client.force_login(p.point_user)
    response = client.post(
        reverse("spareparts:request_new"),
        {"warehouse": p.point_wh.pk, "note": "", "part_1": p.cable.number, "quantity_1": "4"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    request = PartRequest.objects.get()
    bad = client.post(reverse("spareparts:request_new"), {"warehouse": p.point_wh.pk})
    assert bad.status_code == 400
    client.force_login(p.parts_sup)
    url = lambda a: reverse("spareparts:request_act", args=[request.pk, a])  # noqa: E731
    assert client.post(url("approve")).status_code == 302
    client.force_login(p.parts_clerk)
    assert client.post(url("pick")).status_code == 302
    assert client.post(url("pick")).status_code == 409
    assert client.post(url("ship")).status_code == 302
    client.force_login(p.point_user)
    assert client.post(url("receive")).status_code == 302
    request.refresh_from_db()
    assert request.state == RequestState.RECEIVED
    assert bal(p.cable, p.point_wh) == (4, 0)


def test_the_request_list_costs_the_same_queries_whatever_its_length(
    stocked, client, django_assert_max_num_queries
):
    p = stocked
    client.force_login(p.parts_sup)
    ask(p)
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("spareparts:request_list"))
    for _ in range(6):
        ask(p)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("spareparts:request_list"))


def test_a_service_point_requests_parts_by_api_and_follows_only_its_own(stocked):
    from rest_framework.test import APIClient

    p = stocked
    api = APIClient()
    api.force_authenticate(p.point_user)
    created = api.post(
        "/api/v1/parts/requests/",
        {"warehouse": p.point_wh.pk, "lines": [{"part": p.cable.number, "quantity": 3}]},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["state"] == "requested"
    assert created.json()["lines"][0]["part_number"] == p.cable.number
    bad = api.post(
        "/api/v1/parts/requests/",
        {"warehouse": p.point_wh.pk, "lines": [{"part": "NO-SUCH", "quantity": 0}]},
        format="json",
    )
    assert bad.status_code == 400 and "lines" in bad.json()
    other = api.post(
        "/api/v1/parts/requests/",
        {"warehouse": p.dealer_wh.pk, "lines": [{"part": p.cable.number, "quantity": 1}]},
        format="json",
    )
    assert other.status_code == 400  # not a warehouse the caller sees
    pk = created.json()["id"]
    assert [r["id"] for r in api.get("/api/v1/parts/requests/").json()["results"]] == [pk]
    api.force_authenticate(p.dealer_user)
    assert api.get(f"/api/v1/parts/requests/{pk}/").status_code == 404
    assert api.get("/api/v1/parts/requests/").json()["results"] == []
