"""Responsibility and penalties (issue 18 item 4): proposed on a complaint for the responsible
person and their manager, confirmed or waived with a reason by the head of customer service
through the service layer (logged), pending decisions in 我的工作, and the ledgers — one person's
with its totals per year, and the list — seen only by ledger readers and the person themself."""

from datetime import datetime, time
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django_fsm import TransitionNotAllowed

from complaints.choices import Category, Channel, PenaltyKind, PenaltyState
from complaints.models import ComplaintPenalty
from complaints.selectors.penalties import ledger_totals
from complaints.services import complaints as svc
from complaints.services import penalties as pen
from network.choices import Role
from service_ops.notifications.models import Notification
from service_ops.transitions.services import log_of
from service_ops.work import work_of
from service_ops.workcalendar.clock import ZONE
from tests.factories import PASSWORD, make_user

P = PenaltyState


@pytest.fixture
def px(net):
    n = net
    n.handler = make_user("handler", n.hq, Role.COMPLAINT_TEAM, first_name="张")
    n.handler2 = make_user("handler2", n.hq, Role.COMPLAINT_TEAM)
    n.sup = make_user("sup", n.hq, Role.SUPERVISOR)
    return n


def investigating(n, **kw):
    data = {
        "actor": n.handler,
        "complainant_name": "李先生",
        "complainant_phone": "13800138000",
        "content": "工程师态度差",
        "category": Category.SERVICE_ATTITUDE,
        "channel": Channel.CALL,
    }
    data.update(kw)
    c = svc.create_complaint(**data)
    c = svc.judge(c, actor=n.handler, valid=True, severity=c.severity)
    return svc.record_investigation(
        c,
        actor=n.handler,
        cause="未按规范解释收费",
        problem_type="service",
        responsible_unit=n.gz,
        responsible_person=n.gz_engineer,
    )


def propose(n, c, **kw):
    data = {
        "complaint": c,
        "actor": n.handler,
        "person": n.gz_engineer,
        "kind": PenaltyKind.FINE,
        "amount": Decimal("200"),
        "reason": "服务态度恶劣，造成客户投诉",
    }
    data.update(kw)
    return pen.penalty_propose(**data)


def client_for(user):
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


# --- proposal and decision -------------------------------------------------------------------


def test_a_proposal_records_the_person_and_their_manager_and_asks_the_head(px):
    n = px
    c = investigating(n)
    rows = propose(
        n,
        c,
        manager=n.gz_manager,
        manager_kind=PenaltyKind.BONUS_DEDUCTION,
        manager_amount=Decimal("300"),
    )
    person, manager = rows
    assert (person.person, person.capacity, person.manager) == (
        n.gz_engineer,
        "responsible",
        n.gz_manager,
    )
    assert (manager.person, manager.capacity, manager.kind) == (
        n.gz_manager,
        "manager",
        "bonus_deduction",
    )
    assert person.state == manager.state == P.PROPOSED
    assert person.person_unit == n.gz and person.org_unit == c.org_unit
    told = Notification.objects.filter(recipient=n.head, category="penalty", channel="in_app")
    assert told.count() == 2
    items = [i for i in work_of(n.head).items if i.kind == "complaints.penalties"]
    assert {i.url for i in items} == {r.get_absolute_url() for r in rows}
    assert not [i for i in work_of(n.handler).items if i.kind == "complaints.penalties"]


def test_confirm_goes_through_the_service_and_is_logged(px):
    n = px
    c = investigating(n)
    (penalty,) = propose(n, c)
    with pytest.raises(PermissionDenied):
        pen.penalty_confirm(penalty=penalty, actor=n.handler)
    done = pen.penalty_confirm(penalty=penalty, actor=n.head, amount=Decimal("300"), note="情节")
    assert done.state == P.CONFIRMED and done.amount == Decimal("300.00")
    assert done.decided_by == n.head and done.decision_note == "情节"
    (entry,) = log_of(done)
    assert (entry.transition, entry.from_state, entry.to_state, entry.actor) == (
        "confirm",
        "proposed",
        "confirmed",
        n.head,
    )
    # the head's 待办 is done; the person is told, with their ledger
    assert not [i for i in work_of(n.head).items if i.kind == "complaints.penalties"]
    note = Notification.objects.get(recipient=n.gz_engineer, channel="in_app")
    assert note.url == reverse("complaints:ledger", args=[n.gz_engineer.pk])
    with pytest.raises(TransitionNotAllowed):
        pen.penalty_waive(penalty=penalty, actor=n.head, note="改主意")


def test_waive_needs_a_reason(px):
    n = px
    (penalty,) = propose(n, investigating(n), kind=PenaltyKind.WARNING, amount=None)
    with pytest.raises(ValidationError) as err:
        pen.penalty_waive(penalty=penalty, actor=n.head, note="  ")
    assert "note" in err.value.message_dict
    penalty.refresh_from_db()
    assert penalty.state == P.PROPOSED
    waived = pen.penalty_waive(penalty=penalty, actor=n.head, note="初犯，已书面检讨")
    assert waived.state == P.WAIVED and waived.decision_note == "初犯，已书面检讨"
    assert log_of(waived).get().comment == "初犯，已书面检讨"


def test_a_proposal_is_checked(px):
    n = px
    c = investigating(n)
    with pytest.raises(ValidationError) as err:
        propose(n, c, amount=None)  # a fine without money
    assert "amount" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        propose(n, c, kind=PenaltyKind.DEMERIT, amount=Decimal("10"))  # administrative + money
    assert "amount" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        propose(n, c, reason=" ", manager_kind=PenaltyKind.FINE, manager_amount=Decimal("1"))
    assert {"reason", "manager"} <= set(err.value.message_dict)
    with pytest.raises(PermissionDenied):
        propose(n, c, actor=n.handler2)  # not the complaint's handler
    fresh = svc.create_complaint(
        actor=n.handler,
        complainant_name="王",
        content="x",
        category=Category.OTHER,
        channel=Channel.CALL,
    )
    with pytest.raises(ValidationError):
        propose(n, fresh)  # not judged yet: nobody is responsible
    assert ComplaintPenalty.objects.count() == 0


# --- pages -------------------------------------------------------------------------------------


def test_pages_refuse_who_may_not_and_answer_errors(px):
    n = px
    c = investigating(n)
    handler = client_for(n.handler)
    new_url = reverse("complaints:penalty_new", args=[c.pk])
    page = handler.get(new_url)
    assert page.status_code == 200
    assert page.context["form"].initial["person"] == n.gz_engineer.pk  # from the investigation
    assert client_for(n.handler2).get(new_url).status_code == 403
    assert handler.post(new_url, {"person": n.gz_engineer.pk, "kind": "fine"}).status_code == 400
    response = handler.post(
        new_url,
        {"person": n.gz_engineer.pk, "kind": "fine", "amount": "150", "reason": "态度差"},
    )
    assert response.status_code == 302
    penalty = ComplaintPenalty.objects.get()
    assert penalty.amount == Decimal("150.00")
    assert "提出处罚" in handler.get(c.get_absolute_url()).content.decode()
    waive = reverse("complaints:penalty_act", args=[penalty.pk, "waive"])
    assert handler.post(waive, {"waive-note": "免"}).status_code == 403  # not the head
    head = client_for(n.head)
    response = head.post(waive, {"waive-note": ""})
    assert response.status_code == 400 and "请填写免除原因" in response.content.decode()
    confirm = reverse("complaints:penalty_act", args=[penalty.pk, "confirm"])
    assert head.post(confirm, {"confirm-note": "属实"}).status_code == 302
    penalty.refresh_from_db()
    assert penalty.state == P.CONFIRMED
    # decided already: not allowed now
    assert head.post(waive, {"waive-note": "免"}, HTTP_HX_REQUEST="true").status_code == 409
    assert head.post(reverse("complaints:penalty_act", args=[penalty.pk, "x"])).status_code == 404


def _year(y, m=3):
    return datetime.combine(datetime(y, m, 10).date(), time(10), tzinfo=ZONE)


def _ledger_rows(n):
    c = investigating(n)
    made = []
    for year, kind, amount, decision in (
        (2025, PenaltyKind.FINE, "200", "confirm"),
        (2025, PenaltyKind.BONUS_DEDUCTION, "500", "waive"),
        (2026, PenaltyKind.FINE, "300", "confirm"),
        (2026, PenaltyKind.BONUS_DEDUCTION, "120.50", "confirm"),
        (2026, PenaltyKind.FINE, "80", None),
        (2026, PenaltyKind.WARNING, None, "confirm"),
    ):
        (p,) = propose(n, c, kind=kind, amount=Decimal(amount) if amount else None)
        ComplaintPenalty.objects.filter(pk=p.pk).update(proposed_at=_year(year))
        if decision == "confirm":
            pen.penalty_confirm(penalty=p, actor=n.head)
        elif decision == "waive":
            pen.penalty_waive(penalty=p, actor=n.head, note="免")
        made.append(p)
    return made


def test_ledger_totals_equal_the_rows(px):
    n = px
    _ledger_rows(n)
    propose(n, investigating(n), person=n.gz_manager)  # someone else's: not in this ledger
    rows = ComplaintPenalty.objects.filter(person=n.gz_engineer)
    totals = {t.year: t for t in ledger_totals(rows)}
    assert list(totals) == [2026, 2025]
    for year, t in totals.items():
        mine = [p for p in rows if p.proposed_at.astimezone(ZONE).year == year]

        def money(state, mine=mine):
            return sum((p.amount for p in mine if p.state == state and p.amount), Decimal(0))

        assert t.confirmed_amount == money(P.CONFIRMED)
        assert t.pending_amount == money(P.PROPOSED)
        assert t.waived_amount == money(P.WAIVED)
        assert t.confirmed == sum(p.state == P.CONFIRMED for p in mine)
        assert t.pending == sum(p.state == P.PROPOSED for p in mine)
        assert t.waived == sum(p.state == P.WAIVED for p in mine)
    assert totals[2026].confirmed_amount == Decimal("420.50")
    assert totals[2026].administrative == 1
    page = client_for(n.head).get(reverse("complaints:ledger", args=[n.gz_engineer.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "¥420.50" in body and "¥200.00" in body and "¥80.00" in body


def test_only_readers_and_the_person_see_a_ledger(px):
    n = px
    _ledger_rows(n)
    url = reverse("complaints:ledger", args=[n.gz_engineer.pk])
    assert client_for(n.gz_engineer).get(url).status_code == 200  # their own
    assert client_for(n.sup).get(url).status_code == 200
    for other in (n.dealer_user, n.gz_manager, n.handler, n.cs_engineer):
        assert client_for(other).get(url).status_code == 403, other
    # the person reads their own ledger only, and not the list
    assert client_for(n.gz_engineer).get(reverse("complaints:penalty_list")).status_code == 403
    theirs = reverse("complaints:ledger", args=[n.gz_manager.pk])
    assert client_for(n.gz_engineer).get(theirs).status_code == 403
    penalty = ComplaintPenalty.objects.first()
    assert client_for(n.dealer_user).get(penalty.get_absolute_url()).status_code == 404
    assert client_for(n.gz_engineer).get(penalty.get_absolute_url()).status_code == 200
    # a branch's supervisor sees the penalties of its branch's complaints only
    gz_sup = make_user("gz_sup", n.gz, Role.SUPERVISOR)
    assert not ComplaintPenalty.objects.visible_to(gz_sup).exists()
    assert ComplaintPenalty.objects.visible_to(n.dealer_user).count() == 0


def test_ledger_list_filters_exports_and_keeps_its_query_count(px, django_assert_max_num_queries):
    n = px
    _ledger_rows(n)
    client = client_for(n.head)
    url = reverse("complaints:penalty_list")
    with django_assert_max_num_queries(14) as few:
        assert client.get(url).status_code == 200
    c = investigating(n)
    for i in range(30):
        propose(n, c, person=n.gz_manager if i % 2 else n.cs_engineer)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200 and len(response.context["page"]) == 25
    response = client.get(url, {"person": n.gz_engineer.pk, "state": "confirmed"})
    assert len(response.context["page"]) == 4
    response = client.get(url, {"person": n.gz_engineer.pk, "month": "2025-03"})
    assert len(response.context["page"]) == 2
    response = client.get(url, {"unit": n.gz.pk, "state": "proposed"})
    assert {p.person for p in response.context["page"]} == {n.gz_engineer, n.gz_manager}
    export = client.get(reverse("complaints:penalty_export"), {"person": n.gz_engineer.pk})
    assert export.status_code == 200
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(export.content)).active
    assert sheet.max_row == 1 + 6
    assert client_for(n.handler).get(reverse("complaints:penalty_export")).status_code == 403


def test_demo_shows_penalties_in_every_state_and_the_feedback(px):
    from complaints.demo import load_demo
    from complaints.models import ProductFeedback

    n = px
    users = {
        "complaints": n.handler,
        "head_cs": n.head,
        "gz_engineer": n.gz_engineer,
        "gz_manager": n.gz_manager,
        "repair_sup": n.repair_sup,
        "supervisor": n.sup,
    }
    load_demo(units={"HQ": n.hq}, users=users)
    states = sorted(ComplaintPenalty.objects.values_list("state", flat=True))
    assert states == ["confirmed", "proposed", "proposed", "waived"]
    feedback = ProductFeedback.objects.get()
    assert feedback.state == "tracking" and feedback.reply
