"""Stock counts (盘点): a snapshot sheet, counted and submitted by the warehouse staff, approved by
the parts warehouse's supervisor (never the counter), whose approval writes count adjustments."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django_fsm import TransitionNotAllowed

from service_ops.transitions.models import TransitionLog
from spareparts.choices import CountState, MovementKind
from spareparts.models import StockBalance, StockMovement
from spareparts.services import counts as svc
from spareparts.services.stock import stock_receive, stock_reserve, stock_scrap

pytestmark = pytest.mark.django_db


def stocked(w):
    stock_receive(part=w.board, warehouse=w.hq_wh, quantity=10, actor=w.parts_clerk)
    stock_receive(part=w.cable, warehouse=w.hq_wh, quantity=5, actor=w.parts_clerk)
    return w


def counted(w, board, cable):
    count = svc.count_open(warehouse=w.hq_wh, actor=w.parts_clerk)
    lines = {line.part_id: line.pk for line in count.lines.all()}
    svc.count_enter(
        count_id=count.pk,
        counted={lines[w.board.pk]: board, lines[w.cable.pk]: cable},
        actor=w.parts_clerk,
    )
    return svc.count_submit(count_id=count.pk, actor=w.parts_clerk)


def test_an_approved_count_writes_the_differences_as_adjustments(parts):
    w = stocked(parts)
    count = counted(w, board=8, cable=6)
    assert count.state == CountState.COUNTED
    svc.count_approve(count_id=count.pk, actor=w.parts_sup, comment="核对无误")
    adjustments = StockMovement.objects.filter(kind=MovementKind.COUNT_ADJUST)
    assert sorted(adjustments.values_list("part_id", "on_hand_change")) == sorted(
        [(w.board.pk, -2), (w.cable.pk, 1)]
    )
    assert {m.source_id for m in adjustments} == {count.pk}
    assert StockBalance.objects.get(part=w.board, warehouse=w.hq_wh).on_hand == 8
    assert list(
        TransitionLog.objects.filter(object_id=count.pk).values_list("transition", flat=True)
    ) == ["submit", "approve"]


def test_stock_moved_after_the_snapshot_is_kept_at_approval(parts):
    w = stocked(parts)
    count = counted(w, board=9, cable=5)  # one board missing
    stock_scrap(part=w.board, warehouse=w.hq_wh, quantity=2, actor=w.parts_clerk, reason="坏")
    svc.count_approve(count_id=count.pk, actor=w.parts_sup)
    assert StockBalance.objects.get(part=w.board, warehouse=w.hq_wh).on_hand == 10 - 2 - 1


def test_an_adjustment_below_the_reserved_quantity_refuses_the_approval(parts):
    w = stocked(parts)
    count = counted(w, board=1, cable=5)
    stock_reserve(part=w.board, warehouse=w.hq_wh, quantity=5, actor=w.parts_clerk)
    with pytest.raises(ValidationError):
        svc.count_approve(count_id=count.pk, actor=w.parts_sup)
    count.refresh_from_db()
    assert count.state == CountState.COUNTED
    assert not StockMovement.objects.filter(kind=MovementKind.COUNT_ADJUST).exists()


def test_the_counter_does_not_approve_and_a_clerk_never_does(parts):
    w = stocked(parts)
    count = svc.count_open(warehouse=w.hq_wh, actor=w.parts_sup)
    svc.count_enter(
        count_id=count.pk,
        counted={line.pk: line.expected for line in count.lines.all()},
        actor=w.parts_sup,
    )
    svc.count_submit(count_id=count.pk, actor=w.parts_sup)
    with pytest.raises(PermissionDenied):
        svc.count_approve(count_id=count.pk, actor=w.parts_sup)
    with pytest.raises(PermissionDenied):
        svc.count_approve(count_id=count.pk, actor=w.parts_clerk)


def test_a_sheet_is_submitted_only_when_every_line_is_counted_and_decided_once(parts):
    w = stocked(parts)
    count = svc.count_open(warehouse=w.hq_wh, actor=w.parts_clerk)
    with pytest.raises(ValidationError):
        svc.count_submit(count_id=count.pk, actor=w.parts_clerk)
    with pytest.raises(ValidationError):
        svc.count_open(warehouse=w.hq_wh, actor=w.parts_clerk)  # one open sheet per warehouse
    svc.count_enter(
        count_id=count.pk,
        counted={line.pk: line.expected for line in count.lines.all()},
        actor=w.parts_clerk,
    )
    svc.count_submit(count_id=count.pk, actor=w.parts_clerk)
    with pytest.raises(ValidationError):
        svc.count_reject(count_id=count.pk, actor=w.parts_sup, comment="")
    svc.count_reject(count_id=count.pk, actor=w.parts_sup, comment="重盘")
    with pytest.raises(TransitionNotAllowed):
        svc.count_approve(count_id=count.pk, actor=w.parts_sup)


def test_the_count_pages_count_submit_and_approve(client, parts):
    w = stocked(parts)
    client.force_login(w.parts_clerk)
    response = client.post(reverse("spareparts:count_new"), {"warehouse": w.hq_wh.pk})
    assert response.status_code == 302
    count = w.hq_wh.counts.get()
    data = {f"line_{line.pk}": line.expected for line in count.lines.all()}
    first = count.lines.get(part=w.board)
    data[f"line_{first.pk}"] = 7
    response = client.post(reverse("spareparts:count_act", args=[count.pk, "submit"]), data)
    assert response.status_code == 302
    client.force_login(w.parts_sup)
    page = client.get(reverse("spareparts:count_detail", args=[count.pk])).content.decode()
    assert "审批通过" in page and "-3" in page
    response = client.post(reverse("spareparts:count_act", args=[count.pk, "approve"]), {})
    assert response.status_code == 302
    assert StockBalance.objects.get(part=w.board, warehouse=w.hq_wh).on_hand == 7
    # again: the sheet is no longer waiting
    response = client.post(reverse("spareparts:count_act", args=[count.pk, "approve"]), {})
    assert response.status_code == 409


def test_another_units_count_sheet_is_not_found(client, parts):
    w = parts
    stock_receive(part=w.cable, warehouse=w.dealer_wh, quantity=1, actor=w.parts_clerk)
    count = svc.count_open(warehouse=w.dealer_wh, actor=w.parts_clerk)
    client.force_login(w.dealer2_user)
    assert client.get(reverse("spareparts:count_detail", args=[count.pk])).status_code == 404
    client.force_login(w.dealer_user)
    assert client.get(reverse("spareparts:count_detail", args=[count.pk])).status_code == 200
