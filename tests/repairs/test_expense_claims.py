"""Expense claims (报销, issue 22 item 2): lines by category with receipt photos, limits per
category as policy (a claim over its limit needs the extra approval), the same chain style as
advances, and finance's payment net of the claimant's open advances (the named one first, then
oldest first): an advance settled by a claim leaves nothing outstanding."""

from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_fsm import TransitionNotAllowed
from openpyxl import load_workbook

from network.choices import Role
from repairs.choices import AdvanceState, ClaimState
from repairs.models import Advance, ExpenseClaim, ExpenseLimit, ReceiptPhoto
from repairs.services import advances as money
from tests.repairs.money_factory import (
    finance,
    line,
    paid_advance,
    pending,
    receipt,
    sign_through,
)

TODAY = date.today()
YESTERDAY = TODAY - timedelta(days=1)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _claim(net, *lines_, submit=True, **kw):
    return money.claim_create(
        claimant=kw.pop("claimant", net.gz_engineer),
        lines=list(lines_) or [line(spent_on=YESTERDAY)],
        submit=submit,
        **kw,
    )


def _pay(net, claim):
    return money.claim_pay(
        claim_id=claim.pk, actor=finance(net), paid_on=TODAY, method="bank", reference="PZ-1"
    )


def test_a_claim_within_its_limits_goes_to_the_supervisor_then_finance(net):
    finance(net)
    claim = _claim(
        net,
        line("lodging", "600", spent_on=YESTERDAY, days=2),  # 2 nights at 300: on the limit
        line("freight", "120", spent_on=YESTERDAY),
    )
    assert claim.total == Decimal("720") and not claim.over_limit
    assert [s.role for s in claim.steps.order_by("position")] == [
        Role.BRANCH_MANAGER,
        Role.FINANCE,
    ]


def test_a_claim_over_its_category_limit_needs_the_extra_approval(net):
    finance(net)
    claim = _claim(net, line("lodging", "400", spent_on=YESTERDAY), line(spent_on=YESTERDAY))
    assert claim.over_limit
    assert claim.lines.get(category="lodging").over_by == Decimal("100")
    steps = list(claim.steps.order_by("position"))
    assert [(s.role, s.condition) for s in steps] == [
        (Role.BRANCH_MANAGER, "always"),
        (Role.HEAD_OF_CS, "over_limit"),
        (Role.FINANCE, "always"),
    ]
    # it is not approved until the head of customer service signed the extra step
    money.money_decide(step_id=steps[0].pk, actor=net.gz_manager, approve=True)
    claim.refresh_from_db()
    assert claim.state == ClaimState.SUBMITTED and pending(claim).role == Role.HEAD_OF_CS
    claim = sign_through(claim)
    assert claim.state == ClaimState.APPROVED


def test_limits_are_policy_rows(net):
    ExpenseLimit.objects.filter(category="lodging").update(per_day=Decimal("500"))
    claim = _claim(net, line("lodging", "400", spent_on=YESTERDAY))
    assert not claim.over_limit
    ExpenseLimit.objects.filter(category="other").update(per_line=Decimal("50"))
    assert _claim(net, line("other", "60", spent_on=YESTERDAY)).over_limit


def test_an_advance_settled_by_an_expense_claim_leaves_nothing_outstanding(net):
    advance = paid_advance(net, net.gz_engineer, "1000", paid_on=TODAY - timedelta(days=10))
    claim = sign_through(
        _claim(
            net,
            line("travel", "250", spent_on=YESTERDAY),
            line("lodging", "300", spent_on=YESTERDAY),
            line("local_parts", "450", spent_on=YESTERDAY),
            advance=advance,
        )
    )
    claim = _pay(net, claim)
    assert claim.state == ClaimState.PAID
    assert (claim.total, claim.deducted, claim.net_paid) == (
        Decimal("1000"),
        Decimal("1000"),
        Decimal("0"),
    )
    advance.refresh_from_db()
    assert advance.state == AdvanceState.SETTLED and advance.outstanding == 0
    assert not Advance.objects.filter(
        requester=net.gz_engineer, state__in=["paid", "partially_settled"]
    ).exists()
    with pytest.raises(TransitionNotAllowed):
        _pay(net, claim)


def test_a_partial_deduction_leaves_the_right_balance_and_a_larger_claim_pays_the_rest(net):
    advance = paid_advance(net, net.gz_engineer, "2000", paid_on=TODAY - timedelta(days=5))
    small = _pay(net, sign_through(_claim(net, line("freight", "300", spent_on=YESTERDAY))))
    assert (small.deducted, small.net_paid) == (Decimal("300"), Decimal("0"))
    advance.refresh_from_db()
    assert advance.state == AdvanceState.PARTIALLY_SETTLED
    assert advance.outstanding == Decimal("1700")
    big = _pay(
        net,
        sign_through(
            _claim(
                net,
                line("lodging", "900", spent_on=YESTERDAY, days=3),
                line("local_parts", "1000", spent_on=YESTERDAY),
            )
        ),
    )
    assert (big.total, big.deducted, big.net_paid) == (
        Decimal("1900"),
        Decimal("1700"),
        Decimal("200"),
    )
    advance.refresh_from_db()
    assert advance.state == AdvanceState.SETTLED
    assert [s.amount for s in advance.settlements.order_by("pk")] == [
        Decimal("300"),
        Decimal("1700"),
    ]


def test_the_named_advance_is_deducted_first_then_the_oldest(net):
    old = paid_advance(net, net.gz_engineer, "500", paid_on=TODAY - timedelta(days=60))
    newer = paid_advance(net, net.gz_engineer, "500", paid_on=TODAY - timedelta(days=10))
    newest = paid_advance(net, net.gz_engineer, "500", paid_on=TODAY - timedelta(days=1))
    claim = sign_through(
        _claim(
            net,
            line("local_parts", "800", spent_on=YESTERDAY),
            advance=newest,
        )
    )
    _pay(net, claim)
    for a in (old, newer, newest):
        a.refresh_from_db()
    assert newest.state == AdvanceState.SETTLED
    assert old.state == AdvanceState.PARTIALLY_SETTLED and old.outstanding == Decimal("200")
    assert newer.state == AdvanceState.PAID and newer.outstanding == Decimal("500")


def test_another_persons_advances_are_never_deducted(net):
    colleague_advance = paid_advance(net, net.cs_engineer, "500", paid_on=TODAY)
    claim = _pay(net, sign_through(_claim(net)))
    assert claim.deducted == 0 and claim.net_paid == claim.total
    colleague_advance.refresh_from_db()
    assert colleague_advance.outstanding == Decimal("500")
    with pytest.raises(ValidationError):
        _claim(net, advance=colleague_advance)


def test_every_line_needs_a_receipt_before_submission(net, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    claim = _claim(net, line(spent_on=YESTERDAY, photo=False), submit=False)
    with pytest.raises(ValidationError):
        money.claim_submit(claim_id=claim.pk, actor=net.gz_engineer)
    money.claim_add_photo(line_id=claim.lines.get().pk, actor=net.gz_engineer, file=receipt())
    claim = money.claim_submit(claim_id=claim.pk, actor=net.gz_engineer)
    assert claim.state == ClaimState.SUBMITTED
    with pytest.raises(TransitionNotAllowed):
        money.claim_add_photo(line_id=claim.lines.get().pk, actor=net.gz_engineer, file=receipt())


def test_bad_lines_are_refused_with_errors_in_chinese(net):
    with pytest.raises(ValidationError) as exc:
        _claim(
            net,
            line("travel", "0", spent_on=TODAY + timedelta(days=1)),
            line("nonsense", "10", spent_on=YESTERDAY),
        )
    messages = " ".join(exc.value.message_dict["lines"])
    assert "金额须大于 0" in messages and "日期不能晚于今天" in messages
    assert "请选择费用类别" in messages


def test_the_claimant_files_from_the_phone_with_receipt_photos_and_sees_where_it_is(
    client, net, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    finance(net)
    client.force_login(net.gz_engineer)
    form = client.get(reverse("repairs:claim_new"))
    assert form.status_code == 200 and 'capture="environment"' in form.text
    data = {
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "50",
        "lines-0-category": "lodging",
        "lines-0-spent_on": YESTERDAY.isoformat(),
        "lines-0-days": "1",
        "lines-0-amount": "350",
        "lines-0-photo": receipt(),
        "lines-1-category": "travel",
        "lines-1-spent_on": YESTERDAY.isoformat(),
        "lines-1-days": "1",
        "lines-1-amount": "80",
        "lines-1-photo": receipt(),
        "lines-2-days": "1",
        "submit": "1",
    }
    response = client.post(reverse("repairs:claim_new"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    claim = ExpenseClaim.objects.get(requester=net.gz_engineer)
    assert claim.state == ClaimState.SUBMITTED and claim.over_limit
    assert ReceiptPhoto.objects.filter(line__claim=claim).count() == 2
    page = client.get(claim.get_absolute_url())
    assert "现在在谁手上" in page.text and "超标审批" in page.text
    photo = ReceiptPhoto.objects.filter(line__claim=claim).first()
    assert client.get(reverse("repairs:receipt_photo", args=[photo.pk])).status_code == 200
    client.force_login(net.cs_engineer)
    assert client.get(reverse("repairs:receipt_photo", args=[photo.pk])).status_code == 404
    assert client.get(claim.get_absolute_url()).status_code == 404


def test_finance_pays_on_the_page_and_exports_the_months_paid_claims(client, net):
    paid_advance(net, net.gz_engineer, "100", paid_on=TODAY)
    claim = sign_through(_claim(net, line("freight", "300", spent_on=YESTERDAY)))
    client.force_login(finance(net))
    page = client.get(claim.get_absolute_url())
    assert "确认付款" in page.text
    url = reverse("repairs:claim_act", args=[claim.pk, "pay"])
    bad = client.post(url, {"paid_on": "", "method": "bank"})
    assert bad.status_code == 400
    ok = client.post(url, {"paid_on": TODAY.isoformat(), "method": "bank", "reference": "P9"})
    assert ok.status_code == 302
    again = client.post(url, {"paid_on": TODAY.isoformat(), "method": "bank"})
    assert again.status_code == 409
    claim.refresh_from_db()
    assert (claim.deducted, claim.net_paid) == (Decimal("100"), Decimal("200"))
    export = client.get(reverse("repairs:claims_paid_xlsx"), {"month": f"{TODAY:%Y-%m}"})
    assert export.status_code == 200
    sheet = load_workbook(BytesIO(export.content)).worksheets[0]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[6], r[7], r[8]) for r in rows] == [(claim.number, 300, 100, 200)]
    client.force_login(net.gz_engineer)
    assert client.get(reverse("repairs:claims_paid_xlsx"), {"month": "2026-01"}).status_code == 403


def test_claim_visibility_follows_the_advances_rule(net):
    mine = _claim(net)
    other_branch = _claim(net, claimant=net.cs_engineer)

    def seen(user):
        return set(ExpenseClaim.objects.visible_to(user).values_list("pk", flat=True))

    assert seen(net.gz_engineer) == {mine.pk}
    assert seen(net.gz_manager) == {mine.pk}
    assert seen(net.cs_manager) == {other_branch.pk}
    assert seen(finance(net)) == {mine.pk, other_branch.pk}
    assert seen(net.dealer_user) == set()


def test_the_claimant_reads_their_claims_and_advances_through_the_api(net):
    from rest_framework.test import APIClient

    advance = paid_advance(net, net.gz_engineer, "500", paid_on=TODAY)
    claim = _claim(net, line("lodging", "350", spent_on=YESTERDAY))
    api = APIClient()
    api.force_login(net.gz_engineer)
    body = api.get(f"/api/v1/expense-claims/{claim.pk}/").json()
    assert body["number"] == claim.number and body["over_limit"] is True
    assert [s["role"] for s in body["steps"]] == ["branch_manager", "head_of_cs", "finance"]
    assert body["steps"][0]["state"] == "pending"
    listed = api.get("/api/v1/advances/", {"mine": "true"}).json()
    assert [a["number"] for a in listed["results"]] == [advance.number]
    assert listed["results"][0]["outstanding"] == "500.00"
    api.force_login(net.cs_engineer)
    assert api.get(f"/api/v1/expense-claims/{claim.pk}/").status_code == 404
    assert api.get("/api/v1/advances/").json()["results"] == []
