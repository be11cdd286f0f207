"""One visibility rule per model (DESIGN §3): every page of repairs that opens a record by its pk,
and every detail route of the repairs API, answers 404 exactly when
`Model.objects.visible_to(user)` does not hold the record, and the HTML and the API agree.

The routes are enumerated from repairs.urls and the API router, so a new detail page or endpoint
fails here until it is mapped to its model (or skipped with a reason)."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from network.choices import Role
from network.models import Delegation
from network.selectors import acts_as
from repairs import urls as repairs_urls
from repairs.api.urls import router
from repairs.models import (
    Advance,
    ApprovalStep,
    BackupSwap,
    BackupUnit,
    BuybackBatch,
    BuybackUnit,
    Dispatch,
    ExpenseClaim,
    InstalledUnit,
    Loan,
    LoanerUnit,
    MoneyStep,
    MonthlyStatement,
    Penalty,
    Quote,
    ReceiptPhoto,
    RepairLot,
    RepairOrder,
    ReturnApplication,
    ReturnAttachment,
    ReturnedStockApplication,
    ReviewItem,
    ReviewMeeting,
    ServiceRequest,
    SettlementLine,
    SettlementStatement,
    UnauthorisedArrival,
    Visit,
)
from repairs.selectors.returns import signature_queue
from repairs.services import arrivals as pen
from repairs.services import orders as ro
from repairs.services import returns as rma
from repairs.services import stock
from repairs.views.settlement import LINE_ACTIONS
from repairs.views.settlement import STATEMENT_ACTIONS as SETTLEMENT_ACTIONS
from service_ops.deadlines.sweep import sweep_deadlines
from tests.factories import header, lines, make_user, pending_step
from tests.repairs.field.visit_factory import visit_on_site
from tests.repairs.test_orders import _picked_and_quoted, _ship_with_quote, receive_lot

Z = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 23, 9, tzinfo=Z)
API = "/api/v1"


@dataclass(frozen=True)
class Page:
    """How to open one pk-route of repairs.urls: the model whose visible_to decides, the record
    keys (attributes of the `world` fixture) to try, and the other URL arguments."""

    model: type
    keys: tuple[str, ...]
    extra: tuple = ()


APPLICATIONS = ("app", "gz_app")
# Every pk-route of repairs.urls. GET-only or GET/POST pages are fetched; POST-only ones get an
# empty POST (out of scope is 404 before any form is read; in scope they refuse or re-render).
PAGES = {
    "return_detail": Page(ReturnApplication, APPLICATIONS),
    "return_edit": Page(ReturnApplication, APPLICATIONS),
    "return_submit": Page(ReturnApplication, APPLICATIONS),
    "return_withdraw": Page(ReturnApplication, APPLICATIONS),
    "return_print": Page(ReturnApplication, APPLICATIONS),
    "attachment_upload": Page(ReturnApplication, APPLICATIONS),
    "attachment_download": Page(ReturnAttachment, ("attachment",)),
    "return_book_pickup": Page(ReturnApplication, APPLICATIONS),
    "return_record_pickup": Page(ReturnApplication, APPLICATIONS),
    "return_receive": Page(ReturnApplication, APPLICATIONS),
    "return_close": Page(ReturnApplication, APPLICATIONS),
    "step_decide": Page(ApprovalStep, ("gz_step", "signed_step")),
    "arrival_detail": Page(UnauthorisedArrival, ("arrival",)),
    "penalty_confirm": Page(Penalty, ("penalty",)),
    "penalty_waive": Page(Penalty, ("penalty",)),
    "returned_stock_detail": Page(ReturnedStockApplication, ("stock",)),
    "returned_stock_act": Page(ReturnedStockApplication, ("stock",), ("collect",)),
    "task_order_print": Page(ReturnedStockApplication, ("stock",)),
    "order_detail": Page(RepairOrder, ("order", "loan_order")),
    "order_packing_label": Page(RepairOrder, ("order", "loan_order")),
    "order_act": Page(RepairOrder, ("order",), ("answer_quote",)),
    "order_action_form": Page(RepairOrder, ("order",), ("raise_quote",)),
    "lot_detail": Page(RepairLot, ("lot",)),
    "loan_return": Page(Loan, ("loan",)),
    "review_detail": Page(ReviewMeeting, ("meeting",)),
    "review_decide": Page(ReviewItem, ("review_item",)),
    "statement_detail": Page(MonthlyStatement, ("statement",)),
    "statement_confirm": Page(MonthlyStatement, ("statement",)),
    "statement_hand_over": Page(MonthlyStatement, ("statement",)),
    "statement_settle": Page(MonthlyStatement, ("statement",)),
    "statement_xlsx": Page(MonthlyStatement, ("statement",)),
    "statement_pdf": Page(MonthlyStatement, ("statement",)),
    # field visits (issue 20)
    **{
        name: Page(Visit, ("field_visit",))
        for name in (
            "visit_detail",
            "visit_check_in",
            "visit_photo_upload",
            "visit_report",
            "visit_part_add",
            "visit_sign",
            "visit_signature",
            "visit_finish",
            "visit_record_pdf",
            "visit_photo",
            "visit_photo_delete",
            "visit_part_remove",
        )
    },
    "request_fault": Page(ServiceRequest, ("field_request",)),
    # field service (issue 20): the installed base, service requests, dispatch offers
    "installed_unit_detail": Page(InstalledUnit, ("installed_unit",)),
    "installed_unit_edit": Page(InstalledUnit, ("installed_unit",)),
    "installed_unit_label": Page(InstalledUnit, ("installed_unit",)),
    "service_request_detail": Page(ServiceRequest, ("field_request",)),
    "service_request_act": Page(ServiceRequest, ("field_request",), ("cancel",)),
    "offer_detail": Page(Dispatch, ("offer",)),
    "offer_act": Page(Dispatch, ("offer",), ("decline",)),
    "visit_appointment": Page(Visit, ("field_visit",)),
    # spare parts on a repair order: the replaced parts' serials
    "order_replacement": Page(RepairOrder, ("order", "loan_order")),
    # field settlement (网点结算): a statement issued to a service point under 长沙, its line
    "settlement_detail": Page(SettlementStatement, ("settlement",)),
    "settlement_act": Page(SettlementStatement, ("settlement",), (SETTLEMENT_ACTIONS[0],)),
    "settlement_line_act": Page(SettlementLine, ("settlement_line",), (LINE_ACTIONS[0],)),
    # car-factory units (issue 22): headquarters' customer service only
    "oem_batch_detail": Page(BuybackBatch, ("oem_batch",)),
    "oem_batch_report_xlsx": Page(BuybackBatch, ("oem_batch",)),
    "oem_batch_report_pdf": Page(BuybackBatch, ("oem_batch",)),
    "oem_unit_act": Page(BuybackUnit, ("oem_unit",), ("inspect",)),
    "oem_backup_lend": Page(BackupUnit, ("oem_backup",)),
    "oem_backup_act": Page(BackupUnit, ("oem_backup",), ("scrap",)),
    "oem_swap_detail": Page(BackupSwap, ("oem_swap",)),
    "oem_swap_act": Page(BackupSwap, ("oem_swap",), ("return",)),
    # advances and expense claims (issue 22): 长沙's engineer's advance and claim
    "advance_detail": Page(Advance, ("money_advance",)),
    "advance_act": Page(Advance, ("money_advance",), ("cancel",)),
    "claim_detail": Page(ExpenseClaim, ("money_claim",)),
    "claim_act": Page(ExpenseClaim, ("money_claim",), ("cancel",)),
    "receipt_photo": Page(ReceiptPhoto, ("receipt",)),
    "money_step_decide": Page(MoneyStep, ("money_step",)),
}
SKIPPED: dict[str, str] = {  # route name -> why it is not opened here
    "quote_signed_copy": "needs a stored file; test_web_orders.py::"
    "test_the_branch_manager_answers_with_a_signed_and_stamped_copy_and_the_clerk_must_attach_it "
    "opens it as an HQ reader and as another dealer (404)",
    "fee_rule_end": "a fee rule (网点服务费标准) is headquarters' price list, nobody's record: "
    "FeeRule has no visible_to; the page is gated by may_manage_settlement, and the leak walk "
    "(tests/core/test_leak_walk.py) posts to it as another dealer and another branch (refused)",
    **dict.fromkeys(
        ("settlement_xlsx", "settlement_pdf"),
        "no export of an issued statement (404 by its state until confirmed, so the "
        "answer here cannot tell scope from state): field/test_settlement_web.py::"
        "test_a_point_sees_its_own_statements_only opens another point's export (404), and the "
        "leak walk opens it as another dealer and another branch",
    ),
    **dict.fromkeys(
        (
            "receivable_detail",
            "receivable_write_off",
            "transfer_propose",
            "transfer_act",
            "payment_detail",
            "payment_reverse",
        ),
        "collections (issue 22) has no record in this world yet: test_collections.py::"
        "test_the_partner_sees_only_its_own_on_the_web and "
        "test_the_branch_manager_sees_the_branch_and_its_dealers_but_not_another_branch open "
        "another partner's receivable and payment (404), and the leak walk opens them as another "
        "dealer and another branch",
    ),
    "intake_scan": "needs a stored file; test_intake.py::"
    "test_the_clerk_enters_and_submits_a_fax_in_the_browser_and_the_detail_shows_it "
    "opens it as the dealer (200) and as another dealer (404)",
}

# The API router's basenames -> (model, records to try).
API_MODELS = {
    "api-return-application": (ReturnApplication, APPLICATIONS),
    "api-approval-step": (ApprovalStep, ("gz_step", "signed_step")),
    "api-repair-order": (RepairOrder, ("order", "loan_order")),
    "api-quote": (Quote, ("quote",)),
    "api-visit": (Visit, ("field_visit",)),
    "api-installed-unit": (InstalledUnit, ("installed_unit",)),
    "api-service-request": (ServiceRequest, ("field_request",)),
    "api-service-offer": (Dispatch, ("offer",)),
    "api-settlement-statement": (SettlementStatement, ("settlement",)),
    "api-settlement-line": (SettlementLine, ("settlement_line",)),
    "api-advance": (Advance, ("money_advance",)),
    "api-expense-claim": (ExpenseClaim, ("money_claim",)),
}
# Router basenames not walked here, with the tests that cover their scope.
API_SKIPPED = dict.fromkeys(
    ("api-receivable", "api-payment"),
    "collections (issue 22): test_api_collections.py::test_the_partner_lists_only_its_own_"
    "receivables / _payments open another partner's rows (404) and the leak walk walks them",
)
# The same record seen through a page and through the API: both must give the same answer.
SAME_RECORD = {
    "return_detail": "api-return-application",
    "step_decide": "api-approval-step",
    "order_detail": "api-repair-order",
    "installed_unit_detail": "api-installed-unit",
    "service_request_detail": "api-service-request",
    "offer_detail": "api-service-offer",
    "settlement_detail": "api-settlement-statement",
    "advance_detail": "api-advance",
    "claim_detail": "api-expense-claim",
}


def pk_routes() -> dict[str, URLPattern]:
    return {
        p.name: p
        for p in repairs_urls.urlpatterns
        if isinstance(p, URLPattern) and "pk" in p.pattern.converters
    }


def test_every_pk_route_of_repairs_is_covered_or_skipped_with_a_reason():
    routes = set(pk_routes())
    assert routes - set(PAGES) - set(SKIPPED) == set(), "map the new page in PAGES"
    assert set(PAGES) | set(SKIPPED) <= routes, "PAGES names a route that is gone"
    assert all(SKIPPED.values())
    assert {basename for _prefix, _viewset, basename in router.registry} == set(API_MODELS) | set(
        API_SKIPPED
    )


def api_routes():
    """(basename, method, path template with {pk}, whether it is the retrieve route) for every
    detail route of the router: retrieve and the detail=True actions."""
    for prefix, viewset, basename in router.registry:
        if basename in API_SKIPPED:
            continue
        yield basename, "get", f"{API}/{prefix}/{{pk}}/", True
        for action in viewset.get_extra_actions():
            if action.detail:
                for method in action.mapping:
                    yield basename, method, f"{API}/{prefix}/{{pk}}/{action.url_path}/", False


@pytest.fixture
def world(net, settings, tmp_path):
    """The first dealer's records through every stage, an application of 广州 waiting for its
    field CS supervisor, and a deputy of that supervisor seated in 长沙."""
    settings.MEDIA_ROOT = tmp_path
    w = net
    today = timezone.localdate()
    w.deputy = make_user("deputy", net.cs, email=True)
    Delegation.objects.create(
        principal=net.gz_cs_sup,
        deputy=w.deputy,
        role=Role.FIELD_CS_SUPERVISOR,
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=1),
    )
    w.gz_app = rma.rma_create(applicant=net.gz_engineer, header=header(), lines=lines("G1"))
    rma.rma_submit(application_id=w.gz_app.pk, actor=net.gz_engineer)
    w.gz_step = pending_step(w.gz_app)
    assert (w.gz_step.role, w.gz_step.org_unit) == (Role.FIELD_CS_SUPERVISOR, net.gz)

    w.lot = receive_lot(net, ["V1"], MONDAY)
    w.app = w.lot.application
    w.signed_step = w.app.steps.order_by("position").first()
    w.attachment = ReturnAttachment.objects.create(application=w.app, uploaded_by=net.dealer_user)
    w.attachment.file.save("proof.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    w.order, w.quote = _picked_and_quoted(net, w.lot, MONDAY)

    w.loan_order = receive_lot(net, ["V2"], MONDAY).orders.get()
    loaner = LoanerUnit.objects.create(serial_number="BY-9", product_model="GPS-X1")
    w.loan = ro.loan_lend(order_id=w.loan_order.pk, loaner_id=loaner.pk, actor=net.repair_sup)
    sweep_deadlines(now=datetime(2026, 11, 26, 18, 30, tzinfo=Z))  # V2 passes its limit
    w.meeting = ro.review_build(
        held_on=date(2026, 11, 28), now=datetime(2026, 11, 28, 8, 30, tzinfo=Z)
    )
    w.review_item = w.meeting.items.get(order=w.loan_order)

    _ship_with_quote(net, "S1", Decimal("80"), Decimal("20"), datetime(2026, 11, 10, 10, tzinfo=Z))
    w.statement = ro.statement_build(branch=net.cs, month=date(2026, 11, 1), actor=net.clerk)
    w.arrival = pen.arrival_record(actor=net.clerk, shipper_unit=net.dealer, units=1)
    w.penalty = w.arrival.penalties.first()
    # returned stock filed by 长沙's marketing person (the deputy, seated in 长沙, sees it; the
    # dealers do not), walked to its production task order
    cs_marketing = make_user("cs_marketing", net.cs, Role.MARKETING)
    w.stock = stock.returned_stock_file(
        actor=cs_marketing,
        filed_by_unit=net.cs,
        lines=[stock.StockLineInput(product_model="GPS-X1", quantity=2)],
    )
    stock.returned_stock_collect(
        application_id=w.stock.pk, actor=net.clerk, driver_name="李师傅", collected_on=today
    )
    line = w.stock.lines.get()
    stock.returned_stock_check(
        application_id=w.stock.pk, actor=net.keeper, counts={line.pk: stock.LineCount(2)}
    )
    stock.returned_stock_issue(application_id=w.stock.pk, actor=net.clerk, limit_days=10)
    # field service (issue 20): 长沙's visit on site, of a request dealer A filed
    w.field_visit, w.visit_photo, w.visit_part = visit_on_site(net)
    w.field_request = w.field_visit.request
    w.installed_unit, w.offer = _field_records(net, w.field_request)
    w.leak_point, w.settlement, w.settlement_line, w.fee_rule = _settlement_records(net)
    w.oem_batch, w.oem_unit, w.oem_backup, w.oem_swap = _oem_records(net)
    w.money_advance, w.money_claim, w.money_step, w.receipt = _money_records(net)
    return w


def _oem_records(net):
    """A buy-back batch with its unit and a backup lent to an OEM store (issue 22): only
    headquarters' customer service sees them."""
    from repairs.models import OemCustomer, OemStore
    from repairs.services import oem

    jac = OemCustomer.objects.create(code="jac-leak", name="江淮泄露检查车厂")
    store = OemStore.objects.create(oem=jac, code="JAC-LEAK-4S", name="江淮泄露检查4S店")
    today = timezone.localdate()
    batch = oem.buyback_batch_intake(
        actor=net.clerk,
        oem=jac,
        received_on=today,
        rows=[oem.SerialRow(1, "BBLEAK0001", "NAV-J7", "回购标记-泄露检查")],
    )
    backup = oem.backup_unit_add(
        actor=net.clerk, oem=jac, serial_number="BKLEAK0001", product_model="NAV-J7"
    )
    swap = oem.backup_swap_lend(
        actor=net.clerk,
        backup_id=backup.pk,
        store=store,
        failed_serial="JHLEAK0001",
        failed_fault="换机标记-泄露检查",
        lent_on=today,
    )
    return batch, batch.units.get(), backup, swap


def _money_records(net):
    """长沙's engineer's advance waiting for the branch manager and a claim with a receipt
    (issue 22: advances and expense claims)."""
    from repairs.services import advances as money
    from tests.repairs.money_factory import line

    advance = money.advance_create(
        requester=net.cs_engineer,
        amount=Decimal("880"),
        purpose="借支标记-泄露检查",
        trip_destination="株洲",
        submit=True,
    )
    claim = money.claim_create(
        claimant=net.cs_engineer,
        lines=[line("freight", "66", spent_on=timezone.localdate() - timedelta(days=1))],
        note="报销标记-泄露检查",
        submit=True,
    )
    step = advance.steps.get(state="pending")
    return advance, claim, step, claim.lines.get().photos.get()


def _field_records(net, field_request):
    """A unit of dealer A's installed base under 长沙 (装机档案), and an offer (派单) of A's
    service request to a service point under 长沙 waiting for its answer."""
    from network.choices import OrgKind
    from network.models import OrgUnit

    unit = InstalledUnit.objects.create(
        serial_number="SN-LEAK-UNIT-0001",
        product_model="GPS-X1",
        owner_name="装机用户-泄露检查",
        owner_phone="13900002222",
        province="湖南",
        city="长沙",
        address="装机地址-泄露检查",
        purchase_date=date(2026, 6, 1),
        dealer=net.dealer,
        org_unit=net.cs,
    )
    point = OrgUnit.objects.create(
        code="SP-LEAK-OFFER", name="长沙派单网点", kind=OrgKind.SERVICE_POINT, parent=net.cs
    )
    offer = Dispatch.objects.create(
        request=field_request,
        to_unit=point,
        rule="派单标记-泄露检查",
        respond_by=timezone.now() + timedelta(hours=2),
    )
    return unit, offer


def _settlement_records(net):
    """A service point under branch 长沙 with its statement issued to it, a line, a fee rule."""
    from network.choices import OrgKind
    from network.models import OrgUnit
    from repairs.models import FeeRule

    point = OrgUnit.objects.create(
        code="SP-LEAK", name="长沙泄露检查网点", kind=OrgKind.SERVICE_POINT, parent=net.cs
    )
    statement = SettlementStatement.objects.create(
        number="JS-LEAK-0001", point=point, month=date(2026, 10, 1), state="issued", total=10
    )
    line = SettlementLine.objects.create(
        statement=statement, kind="reward", amount=10, description="结算标记-泄露检查"
    )
    rule = FeeRule.objects.create(amount=1, effective_from=date(2026, 1, 1))
    return point, statement, line, rule


def visible(model, user, obj) -> bool:
    return model.objects.visible_to(user).filter(pk=obj.pk).exists()


def html_args(name: str, page: Page, obj) -> list:
    if name == "attachment_download":
        return [obj.application_id, obj.pk]
    if name in ("visit_photo", "visit_photo_delete"):
        return [obj.pk, obj.photos.get().pk]
    if name == "visit_part_remove":
        return [obj.pk, obj.part_lines.get().pk]
    return [obj.pk, *page.extra]


def open_page(client, url: str) -> int:
    response = client.get(url)
    return (client.post(url) if response.status_code == 405 else response).status_code


@pytest.mark.parametrize("who", ["deputy", "dealer2_user", "dealer_user"])
def test_pages_and_api_answer_as_visible_to_says(client, world, who):
    user = getattr(world, who)
    client.force_login(user)
    api = APIClient()
    api.force_login(user)

    html: dict[tuple[str, int], int] = {}
    for name, page in PAGES.items():
        for key in page.keys:
            obj = getattr(world, key)
            sees = visible(page.model, user, obj)
            status = open_page(client, reverse(f"repairs:{name}", args=html_args(name, page, obj)))
            html[(name, obj.pk)] = status
            assert (status != 404) == sees, (who, name, key, status, sees)
            if who == "dealer2_user":
                assert status == 404, (name, key)

    api_get: dict[tuple[str, int], int] = {}
    for basename, method, template, retrieve in api_routes():
        model, keys = API_MODELS[basename]
        for key in keys:
            obj = getattr(world, key)
            sees = visible(model, user, obj)
            url = template.format(pk=obj.pk)
            if method == "get":
                status = api.get(url).status_code
                assert status == (200 if sees else 404), (who, url, status, sees)
                if retrieve:
                    api_get[(basename, obj.pk)] = status
            elif not sees:  # a write to a record out of scope is 404 before anything is read
                status = getattr(api, method)(url, {}, format="json").status_code
                assert status == 404, (who, method, url, status)

    for name, basename in SAME_RECORD.items():
        for key in PAGES[name].keys:
            pk = getattr(world, key).pk
            assert html[(name, pk)] == api_get[(basename, pk)], (who, name, key)


def test_the_deputy_signs_from_the_queue_the_page_and_the_api_alike(client, world):
    step = world.gz_step
    assert list(signature_queue(world.deputy)) == [step]
    assert visible(ApprovalStep, world.deputy, step)
    assert not visible(ReturnApplication, world.deputy, world.gz_app)  # the step, not the whole
    client.force_login(world.deputy)
    assert world.gz_app.number in client.get(reverse("repairs:signature_queue")).text
    assert client.get(reverse("repairs:step_decide", args=[step.pk])).status_code == 200
    api = APIClient()
    api.force_login(world.deputy)
    assert api.get(f"{API}/approval-steps/{step.pk}/").status_code == 200
    assert api.get(f"{API}/return-applications/{world.gz_app.pk}/").status_code == 404
    mine = api.get(f"{API}/approval-steps/", {"mine": "true"}).json()
    assert [row["id"] for row in mine["results"]] == [step.pk]


def test_a_deputy_whose_delegation_ended_sees_the_step_nowhere(client, world):
    Delegation.objects.filter(deputy=world.deputy).update(
        ends_on=timezone.localdate() - timedelta(1)
    )
    step = world.gz_step
    assert list(signature_queue(world.deputy)) == []
    client.force_login(world.deputy)
    assert client.get(reverse("repairs:step_decide", args=[step.pk])).status_code == 404
    api = APIClient()
    api.force_login(world.deputy)
    assert api.get(f"{API}/approval-steps/{step.pk}/").status_code == 404


def test_the_nearest_holder_signs_not_a_holder_higher_up(world):
    """signable_by (the queue's half of a step's visibility) is acts_as: a holder of the same role
    higher up does not sign where the branch has its own holder; the branch's deputy does."""
    province_sup = make_user("gd_cs_sup", world.gd, Role.FIELD_CS_SUPERVISOR)
    step = world.gz_step
    for user in (province_sup, world.gz_cs_sup, world.deputy, world.gz_manager):
        signable = ApprovalStep.objects.signable_by(user).filter(pk=step.pk).exists()
        assert signable == acts_as(user, step.role, step.org_unit), user
    assert not acts_as(province_sup, step.role, step.org_unit)
    assert acts_as(world.deputy, step.role, step.org_unit)
