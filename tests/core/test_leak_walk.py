"""The leak walk (issue 16 item 5): every URL pattern of the project — the browser pages of every
app, the API, the admin — opened as another dealer (by session and by API token) and as another
branch's staff, with the ids of dealer A's and branch A's records.

What an answer may be:
- a route that names one of A's records: 403, 404 or 405, or a redirect to a login page (the
  caller is not signed in there: the token client on a browser page, anyone but staff in the
  admin) — never 2xx, never another redirect (that would be a write that went through), never 5xx;
- a route that names no record (lists, queues, new forms, my work…): any answer but a 5xx, and
  whatever it shows holds none of A's numbers or names.
Afterwards the database holds exactly what it held: the row count of every table, and every
column of A's records (their `updated`, state and amount columns included).

The routes come from the resolver itself, so a new route with a path parameter fails
`test_every_route_is_walked_or_listed` until it gets a filler in FILLERS (or a reason in
NOT_WALKED); a new route without parameters is walked as it is."""

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from callcenter.models import ActivationCodeImport, CallbackList, RegisteredNumber
from callcenter.views.calls import STEPS as FOLLOW_UP_STEPS
from complaints.views.complaints import ACTIONS as COMPLAINT_ACTIONS
from complaints.views.feedback import ACTIONS as FEEDBACK_ACTIONS
from complaints.views.penalties import ACTIONS as PENALTY_ACTIONS
from network.choices import OrgKind, Role
from network.life.views import STANDING as POINT_STANDING
from network.models import OrgUnit
from repairs.forms.orders import ACTIONS as ORDER_ACTIONS
from repairs.models import RepairOrder
from repairs.views.advances import ADVANCE_ACTIONS, CLAIM_ACTIONS
from repairs.views.oem import BACKUP_ACTIONS as OEM_BACKUP_ACTIONS
from repairs.views.oem import SWAP_ACTIONS as OEM_SWAP_ACTIONS
from repairs.views.oem import UNIT_STEPS as OEM_UNIT_STEPS
from repairs.views.orders import LAZY_FORMS
from repairs.views.settlement import LINE_ACTIONS
from repairs.views.settlement import STATEMENT_ACTIONS as SETTLEMENT_ACTIONS
from repairs.views.stock import STEPS as STOCK_STEPS
from service_ops.deadlines.models import Deadline
from service_ops.notifications.models import Channel, Notification
from service_ops.webhooks import services as webhook_services
from tests.factories import bearer, issue_token, make_user
from tests.repairs.test_visibility import world  # noqa: F401  (the fixture: A's records)

WRITE_METHODS = ("post", "patch", "delete")
OK_REFUSALS = {403, 404, 405}
LOGIN_PAGES = ("/login/", "/admin/login/")

# Routes not opened, each with its reason. Keep it short.
NOT_WALKED: dict[str, str] = {
    "logout": "public and not object-scoped: it ends the caller's own session (walking it would "
    "sign the attacker out and make every later answer a login redirect)",
    "spareparts:part_detail": "the parts catalogue is the same for everyone signed in (a part is "
    "nobody's record); the stock it shows is scoped, as tests/spareparts/test_catalogue.py checks",
    "spareparts:part_picture": "a catalogue part's picture: the same for everyone signed in",
    "api-part-detail": "the parts catalogue is the same for every partner (without the cost); "
    "tests/spareparts/test_api.py covers it",
    "api-token-rotate": "not object-scoped: it replaces the caller's own token (a new row, which "
    "the walk's no-change check would count); tests/network/test_token_rotation.py covers it",
}
# Routes opened but whose 2xx is expected for anyone signed in because they are not
# object-scoped; their bodies are still searched for A's records.
NOT_OBJECT_SCOPED: dict[str, str] = {
    "login": "public: the sign-in form",
    "healthz": "public liveness answer, no records",
    "readyz": "public readiness answer: check names and timings, no records",
    "password_change": "the caller's own password",
    "password_change_done": "the caller's own password",
    "set_language": "the caller's own session language",
    "api-schema": "the OpenAPI schema: routes and fields, no records",
    "api-docs": "the API documentation page, no records",
    "api-calendar-working-day": "the company calendar is the same for everyone",
    "api-calendar-add-working-days": "the company calendar is the same for everyone",
}
# Bodies that are the same document for everyone, so a marker in them is no leak.
STATIC_BODIES: dict[str, str] = {
    "api-schema": "the OpenAPI document: its examples use the demo names (湘江代理商, D-XJ) that "
    "the test network shares",
}


# Routes that name one of A's records but are public by design: their 2xx (and a 400 for an
# empty form) is expected for anyone, signed in or not; their bodies are still searched for A's
# numbers and names (the owner, the phone, the address, the dealer must never show there).
PUBLIC_BY_TOKEN: dict[str, str] = {
    "qr:unit_page": "the public page a unit's QR code opens (扫码报修, no login): the "
    "unpredictable qr_token is the key; it shows the model, the serial's last 4 digits and "
    "the warranty only",
    "qr:thanks": "the public thank-you page after a QR fault report: the same fields as the page",
}


# --- the routes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name" (or the pattern itself when unnamed)
    params: tuple[str, ...]
    pattern: str
    named: bool
    admin: bool
    api: bool


def _walk(resolver, prefix="", namespace=None, outer=()) -> Iterator[Route]:
    for pattern in resolver.url_patterns:
        params = (*outer, *pattern.pattern.regex.groupindex)
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern, prefix + str(pattern.pattern), ns, params)
        elif isinstance(pattern, URLPattern):
            full = prefix + str(pattern.pattern)
            name = pattern.name or full
            if namespace and pattern.name:
                name = f"{namespace}:{pattern.name}"
            yield Route(
                name=name,
                params=params,
                pattern=full,
                named=bool(pattern.name),
                admin=full.startswith("admin/"),
                api=full.startswith("api/"),
            )


def all_routes() -> list[Route]:
    routes = {}
    for route in _walk(get_resolver()):
        routes.setdefault((route.name, route.params), route)  # format-suffix twins: once
    return list(routes.values())


# --- filling the parameters with A's records ----------------------------------------------------

Kwargs = dict


def _pk(*keys: str) -> Callable[[object], list[Kwargs]]:
    return lambda w: [{"pk": getattr(w, key).pk} for key in keys]


def _with_action(keys: tuple[str, ...], actions) -> Callable[[object], list[Kwargs]]:
    return lambda w: [
        {"pk": getattr(w, key).pk, "action": action} for key in keys for action in actions
    ]


# A's records (attributes of the `world` fixture: dealer 湘江代理商 under branch 长沙).
APPS = ("app",)
ORDERS = ("order", "loan_order")
FILLERS: dict[str, Callable[[object], list[Kwargs]]] = {
    # core
    "deadline_detail": _pk("deadline"),
    "inbox_open": _pk("notification"),
    # network
    "network:org_unit_detail": _pk("dealer", "cs"),
    "api-org-unit-detail": _pk("dealer", "cs"),
    "api-org-unit-prepaid": _pk("dealer"),
    # call centre: A's inbound call (the dealer's) and its follow-up
    "callcenter:call_detail": _pk("call"),
    "callcenter:call_take_over": _pk("call"),
    "callcenter:follow_up_detail": _pk("follow_up"),
    "callcenter:follow_up_act": _with_action(("follow_up",), sorted(FOLLOW_UP_STEPS)),
    # repairs: return applications, arrivals, returned stock
    "repairs:return_detail": _pk(*APPS),
    "repairs:return_edit": _pk(*APPS),
    "repairs:return_submit": _pk(*APPS),
    "repairs:return_withdraw": _pk(*APPS),
    "repairs:return_print": _pk(*APPS),
    "repairs:intake_scan": _pk(*APPS),
    "repairs:attachment_upload": _pk(*APPS),
    "repairs:attachment_download": lambda w: [{"pk": w.app.pk, "attachment_pk": w.attachment.pk}],
    "repairs:return_book_pickup": _pk(*APPS),
    "repairs:return_record_pickup": _pk(*APPS),
    "repairs:return_receive": _pk(*APPS),
    "repairs:return_close": _pk(*APPS),
    "repairs:step_decide": _pk("signed_step"),
    "repairs:arrival_detail": _pk("arrival"),
    "repairs:penalty_confirm": _pk("penalty"),
    "repairs:penalty_waive": _pk("penalty"),
    "repairs:returned_stock_detail": _pk("stock"),
    "repairs:returned_stock_act": _with_action(("stock",), sorted(STOCK_STEPS)),
    "repairs:task_order_print": _pk("stock"),
    # repairs: car-factory units (issue 22), headquarters' customer service only
    "repairs:oem_batch_detail": _pk("oem_batch"),
    "repairs:oem_batch_report_xlsx": _pk("oem_batch"),
    "repairs:oem_batch_report_pdf": _pk("oem_batch"),
    "repairs:oem_unit_act": _with_action(("oem_unit",), sorted(OEM_UNIT_STEPS)),
    "repairs:oem_backup_lend": _pk("oem_backup"),
    "repairs:oem_backup_act": _with_action(("oem_backup",), sorted(OEM_BACKUP_ACTIONS)),
    "repairs:oem_swap_detail": _pk("oem_swap"),
    "repairs:oem_swap_act": _with_action(("oem_swap",), sorted(OEM_SWAP_ACTIONS)),
    # repairs: orders, quotes, loans, reviews, statements
    "repairs:order_detail": _pk(*ORDERS),
    "repairs:order_packing_label": _pk(*ORDERS),
    "repairs:order_act": _with_action(ORDERS, sorted(ORDER_ACTIONS)),
    "repairs:order_action_form": _with_action(ORDERS, sorted(LAZY_FORMS)),
    "repairs:quote_signed_copy": lambda w: [{"pk": w.order.pk, "quote_pk": w.quote.pk}],
    "repairs:lot_detail": _pk("lot"),
    "repairs:loan_return": _pk("loan"),
    "repairs:review_detail": _pk("meeting"),
    "repairs:review_decide": _pk("review_item"),
    "repairs:statement_detail": _pk("statement"),
    "repairs:statement_confirm": _pk("statement"),
    "repairs:statement_hand_over": _pk("statement"),
    "repairs:statement_settle": _pk("statement"),
    "repairs:statement_xlsx": _pk("statement"),
    "repairs:statement_pdf": _pk("statement"),
    # repairs API
    "api-return-application-detail": _pk(*APPS),
    "api-return-application-history": _pk(*APPS),
    "api-return-application-submit": _pk(*APPS),
    "api-return-application-withdraw": _pk(*APPS),
    "api-approval-step-detail": _pk("signed_step"),
    "api-approval-step-approve": _pk("signed_step"),
    "api-approval-step-reject": _pk("signed_step"),
    "api-repair-order-detail": _pk(*ORDERS),
    "api-quote-detail": _pk("quote"),
    "api-quote-consent": _pk("quote"),
    "api-quote-decline": _pk("quote"),
    # webhooks: the partner API and the staff pages
    "api-webhook-detail": _pk("webhook"),
    "api-webhook-rotate-secret": _pk("webhook"),
    "api-webhook-test": _pk("webhook"),
    "api-webhook-deliveries": _pk("webhook"),
    "api-webhook-delivery-detail": _pk("delivery"),
    "api-webhook-delivery-resend": _pk("delivery"),
    "webhooks:endpoint_detail": _pk("webhook"),
    "webhooks:endpoint_test": _pk("webhook"),
    "webhooks:endpoint_enable": _pk("webhook"),
    "webhooks:delivery_resend": _pk("delivery"),
    # call centre: shifts (排班) — internal to the call centre, never a partner's or a branch's
    "callcenter:leave_detail": _pk("leave"),
    "callcenter:leave_act": _with_action(("leave",), ("approve", "refuse", "cancel")),
    "callcenter:swap_detail": _pk("shift_swap"),
    "callcenter:swap_act": _with_action(
        ("shift_swap",), ("agree", "decline", "cancel", "approve", "refuse")
    ),
    "callcenter:handover_detail": _pk("handover"),
    "callcenter:handover_acknowledge": _pk("handover"),
    # call centre: callbacks (the shipped order's callback of dealer A, branch 长沙)
    "callcenter:callback_detail": _pk("callback"),
    "callcenter:callback_take": _pk("callback"),
    "callcenter:callback_call": _pk("callback"),
    "callcenter:callback_preferred": _pk("callback"),
    "callcenter:callback_cancel": _pk("callback"),
    # call centre: registered numbers (a field office of branch A), A's prepaid ledger
    "callcenter:number_edit": _pk("registered_number"),
    "callcenter:number_deactivate": _pk("registered_number"),
    "callcenter:number_reactivate": _pk("registered_number"),
    "callcenter:prepaid_ledger": _pk("dealer"),
    "callcenter:prepaid_top_up": _pk("dealer"),
    "callcenter:code_import_status": _pk("code_import"),
    # complaints (客诉): dealer A's complaint, handled by headquarters' complaint team
    "complaints:detail": _pk("complaint"),
    # spare parts: dealer A's warehouse and its count sheet; editing a part is the parts staff's
    "spareparts:warehouse_detail": _pk("parts_warehouse"),
    "spareparts:count_detail": _pk("parts_count"),
    "spareparts:count_act": _with_action(("parts_count",), ("save", "submit", "approve", "reject")),
    "spareparts:part_edit": _pk("part"),
    # a faulty part dealer A owes back (旧件返还): the parts warehouse's receipt and write-off
    "spareparts:faulty_receive": _pk("faulty_return"),
    "spareparts:faulty_write_off": _pk("faulty_return"),
    # dealer A's part request for its own warehouse, and the quote it asked for (配件报价)
    "spareparts:request_detail": _pk("part_request"),
    "spareparts:request_act": _with_action(
        ("part_request",), ("approve", "reject", "pick", "ship", "receive")
    ),
    "spareparts:quote_detail": _pk("parts_quote"),
    "api-part-request-detail": _pk("part_request"),
    "api-part-quote-detail": _pk("parts_quote"),
    "api-part-quote-accept": _pk("parts_quote"),
    "api-part-quote-decline": _pk("parts_quote"),
    "spareparts:quote_act": _with_action(
        ("parts_quote",), ("send", "accept", "decline", "settle", "ship")
    ),
    "complaints:act": _with_action(("complaint",), sorted(COMPLAINT_ACTIONS)),
    "complaints:attachment": lambda w: [
        {"pk": w.complaint.pk, "attachment_pk": w.complaint_attachment.pk}
    ],
    # complaints: a penalty on A's complaint against 长沙's engineer, his ledger, the feedback
    "complaints:penalty_new": _pk("complaint"),
    "complaints:penalty_detail": _pk("complaint_penalty"),
    "complaints:penalty_act": _with_action(("complaint_penalty",), sorted(PENALTY_ACTIONS)),
    "complaints:ledger": lambda w: [{"user_pk": w.complaint_penalty.person_id}],
    "complaints:feedback_detail": _pk("product_feedback"),
    "complaints:feedback_act": _with_action(("product_feedback",), sorted(FEEDBACK_ACTIONS)),
    "complaints:serial_timeline": lambda w: [{"serial": w.complaint.serial_number}],
    "api-complaint-detail": _pk("complaint"),
    # field visits (issue 20): branch A's visit of a request dealer A filed, on site
    **{
        f"repairs:{name}": _pk("field_visit")
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
        )
    },
    "repairs:visit_photo": lambda w: [{"pk": w.field_visit.pk, "photo_pk": w.visit_photo.pk}],
    "repairs:visit_photo_delete": lambda w: [
        {"pk": w.field_visit.pk, "photo_pk": w.visit_photo.pk}
    ],
    "repairs:visit_part_remove": lambda w: [{"pk": w.field_visit.pk, "line_pk": w.visit_part.pk}],
    "repairs:request_fault": _pk("field_request"),
    **{
        f"api-visit-{name}": _pk("field_visit")
        for name in (
            "detail",
            "check-in",
            "photos",
            "parts",
            "report",
            "signature",
            "finish",
            "record",
        )
    },
    # field settlement (网点结算): the statement of a service point under branch A, its line
    "repairs:settlement_detail": _pk("settlement"),
    "repairs:settlement_act": _with_action(("settlement",), sorted(SETTLEMENT_ACTIONS)),
    "repairs:settlement_line_act": _with_action(("settlement_line",), sorted(LINE_ACTIONS)),
    "repairs:settlement_xlsx": _pk("settlement"),
    "repairs:settlement_pdf": _pk("settlement"),
    "repairs:fee_rule_end": _pk("fee_rule"),
    "api-settlement-statement-detail": _pk("settlement"),
    "api-settlement-line-detail": _pk("settlement_line"),
    "api-settlement-line-confirm": _pk("settlement_line"),
    "api-settlement-line-dispute": _pk("settlement_line"),
    # collections (收款, issue 22): dealer A's receivable (a parts sale on account), its payment,
    # a transfer (划账) proposed against it, and dealer A's statement of account
    "repairs:receivable_detail": _pk("receivable"),
    "repairs:receivable_write_off": _pk("receivable"),
    "repairs:transfer_propose": _pk("receivable"),
    "repairs:transfer_act": _with_action(("transfer",), ("confirm", "reject")),
    "repairs:payment_detail": _pk("payment"),
    "repairs:payment_reverse": _pk("payment"),
    "repairs:partner_account": lambda w: [{"partner_pk": w.dealer.pk}],
    "repairs:partner_account_export": lambda w: [{"partner_pk": w.dealer.pk}],
    "api-receivable-detail": _pk("receivable"),
    "api-payment-detail": _pk("payment"),
    # advances and expense claims (issue 22): 长沙's engineer's advance, claim, step, receipt
    "repairs:advance_detail": _pk("money_advance"),
    "repairs:advance_act": _with_action(("money_advance",), ADVANCE_ACTIONS),
    "repairs:claim_detail": _pk("money_claim"),
    "repairs:claim_act": _with_action(("money_claim",), CLAIM_ACTIONS),
    "repairs:receipt_photo": _pk("receipt"),
    "repairs:money_step_decide": _pk("money_step"),
    "api-advance-detail": _pk("money_advance"),
    "api-expense-claim-detail": _pk("money_claim"),
    "report_export": _pk("export_job"),
    "report_download": _pk("export_job"),
    # field service (issue 20): dealer A's installed unit under 长沙, A's service request, its
    # offer to a service point under 长沙, the visit's appointment; the replaced parts of A's order
    "repairs:installed_unit_detail": _pk("installed_unit"),
    "repairs:installed_unit_edit": _pk("installed_unit"),
    "repairs:installed_unit_label": _pk("installed_unit"),
    "repairs:service_request_detail": _pk("field_request"),
    "repairs:service_request_act": _with_action(
        ("field_request",), ("dispatch", "override", "cancel")
    ),
    "repairs:offer_detail": _pk("offer"),
    "repairs:offer_act": _with_action(("offer",), ("accept", "decline")),
    "repairs:visit_appointment": _pk("field_visit"),
    "repairs:order_replacement": _pk(*ORDERS),
    "api-installed-unit-detail": _pk("installed_unit"),
    "api-service-request-detail": _pk("field_request"),
    "api-service-offer-detail": _pk("offer"),
    "api-service-offer-accept": _pk("offer"),
    "api-service-offer-decline": _pk("offer"),
    # the public QR pages of A's unit (see PUBLIC_BY_TOKEN)
    "qr:unit_page": lambda w: [{"token": w.installed_unit.qr_token}],
    "qr:thanks": lambda w: [{"token": w.installed_unit.qr_token}],
    # the network's life (网点流程): a service point under 长沙 (its profile, documents,
    # evaluation), an application to join filed under 长沙, 长沙's training and its trainee
    "network:point_detail": _pk("leak_point"),
    "network:point_document_add": _pk("leak_point"),
    "network:point_gps": _pk("leak_point"),
    "network:point_standing": _with_action(("leak_point",), sorted(POINT_STANDING)),
    "network:application_detail": _pk("point_application"),
    "network:application_action": _with_action(
        ("point_application",), ("document", "review", "approve", "reject")
    ),
    "network:evaluation_detail": _pk("point_evaluation"),
    "network:training_detail": _pk("training"),
    "network:training_action": _with_action(("training",), ("attendees", "record", "cancel")),
    "network:training_record": lambda w: [{"user_pk": w.point_staff.pk}],
    "api-service-point-detail": _pk("leak_point"),
    "api-service-point-documents": _pk("leak_point"),
    "api-service-point-evaluations": _pk("leak_point"),
    # spare parts: a reorder point (补货点) of dealer A's warehouse
    "spareparts:reorder_edit": _pk("reorder_point"),
}


def admin_kwargs(route: Route, w) -> list[Kwargs]:
    """The admin is staff-only as a whole: any id will do, A's where the route names a model."""
    values = {
        "object_id": str(w.app.pk),
        "app_label": "repairs",
        "content_type_id": ContentType.objects.get_for_model(RepairOrder).pk,
        "url": "x",
    }
    return [{param: values.get(param, "1") for param in route.params}]


def urls_of(route: Route, w) -> list[str]:
    if route.admin:
        candidates = admin_kwargs(route, w)
    elif route.params:
        candidates = FILLERS[route.name](w)
    else:
        candidates = [{}]
    return [_url(route, kwargs) for kwargs in candidates]


def _url(route: Route, kwargs: Kwargs) -> str:
    if route.named:
        return reverse(route.name, kwargs=kwargs or None)
    # unnamed (the admin's object redirect and catch-all): fill the pattern itself
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m[1]]), route.pattern)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(kwargs[m[1]]), path)
    return "/" + path.replace("^", "").replace("$", "").replace("\\Z", "")


def test_every_route_is_walked_or_listed():
    routes = all_routes()
    names = {r.name for r in routes}
    with_params = {r.name for r in routes if r.params and not r.admin}
    unfilled = with_params - set(FILLERS) - set(NOT_WALKED)
    assert unfilled == set(), f"give these routes a filler in FILLERS: {sorted(unfilled)}"
    assert set(FILLERS) <= names, f"FILLERS names routes that are gone: {set(FILLERS) - names}"
    listed = set(NOT_WALKED) | set(NOT_OBJECT_SCOPED) | set(STATIC_BODIES) | set(PUBLIC_BY_TOKEN)
    assert listed <= names
    assert all(NOT_WALKED.values()) and all(NOT_OBJECT_SCOPED.values())
    assert all(PUBLIC_BY_TOKEN.values()) and set(PUBLIC_BY_TOKEN) <= set(FILLERS)
    unnamed = [r.name for r in routes if not r.named and not r.admin]
    assert unnamed == [], f"name these routes so the walk can reverse them: {unnamed}"
    assert len(routes) > 100  # the admin, the pages and the API are all there


# Detail routes headquarters opens with the same fillers (the control of the walk).
SEEN_BY_HEADQUARTERS = (
    "api-advance-detail",
    "api-expense-claim-detail",
    "repairs:advance_detail",
    "repairs:claim_detail",
    "repairs:receipt_photo",
    "callcenter:call_detail",
    "callcenter:follow_up_detail",
    "network:org_unit_detail",
    "api-org-unit-detail",
    "repairs:return_detail",
    "repairs:arrival_detail",
    "repairs:returned_stock_detail",
    "repairs:oem_batch_detail",
    "repairs:oem_swap_detail",
    "repairs:order_detail",
    "repairs:lot_detail",
    "repairs:review_detail",
    "repairs:statement_detail",
    "callcenter:leave_detail",
    "callcenter:swap_detail",
    "callcenter:handover_detail",
    "callcenter:callback_detail",
    "complaints:detail",
    "complaints:penalty_detail",
    "complaints:ledger",
    "complaints:feedback_detail",
    "complaints:serial_timeline",
    "api-complaint-detail",
    "api-return-application-detail",
    "api-repair-order-detail",
    "api-quote-detail",
    "callcenter:number_edit",
    "callcenter:prepaid_ledger",
    "callcenter:prepaid_top_up",
    "callcenter:code_import_status",
    "spareparts:warehouse_detail",
    "spareparts:count_detail",
    "spareparts:request_detail",
    "spareparts:quote_detail",
    "api-part-request-detail",
    "api-part-quote-detail",
    "repairs:visit_detail",
    "api-visit-detail",
    "repairs:settlement_detail",
    "api-settlement-statement-detail",
    "api-settlement-line-detail",
    "repairs:receivable_detail",
    "repairs:payment_detail",
    "repairs:partner_account",
    "api-receivable-detail",
    "api-payment-detail",
    "repairs:installed_unit_detail",
    "repairs:service_request_detail",
    "repairs:offer_detail",
    "api-installed-unit-detail",
    "api-service-request-detail",
    "api-service-offer-detail",
    "network:point_detail",
    "network:application_detail",
    "network:evaluation_detail",
    "network:training_detail",
    "network:training_record",
    "api-service-point-detail",
)


def test_the_judge_flags_an_answer_about_a_record_and_a_list_showing_a_marker():
    class Answer:
        def __init__(self, status, body=b"", location=""):
            self.status_code, self.content = status, body
            self.headers = {"Location": location}

    def flagged(answer, names_a_record):
        return judge("x", "get", "/u/", answer, names_a_record=names_a_record, markers={"RMA-1"})

    assert flagged(Answer(200), True)
    assert flagged(Answer(302, location="/repairs/returns/1/"), True)  # a write went through
    assert flagged(Answer(500), False)
    assert flagged(Answer(200, b"<td>RMA-1</td>"), False)
    assert not flagged(Answer(404), True)
    assert not flagged(Answer(302, location="/login/?next=/u/"), True)
    assert not flagged(Answer(200, b"<td>RMA-2</td>"), False)


# --- the data and the attackers -----------------------------------------------------------------


def _export_of_branch_a(w):
    """A finished background export asked for by branch A's manager (issue 21)."""
    from django.core.files.base import ContentFile

    from service_ops.reports.models import ExportJob
    from service_ops.transitions.models import ActionChannel
    from service_ops.transitions.services import run_transition

    job = ExportJob.objects.create(requester=w.cs_manager, report="repairs.qc")
    run_transition(job, transition="start", channel=ActionChannel.SYSTEM)
    return run_transition(
        job,
        transition="finish",
        channel=ActionChannel.SYSTEM,
        kwargs={"name": "xj.xlsx", "content": ContentFile(b"xlsx"), "rows": 1},
    )


@pytest.fixture
def leak_world(world):  # noqa: F811  (the fixture imported above)
    w = world
    w.deadline = Deadline.objects.filter(
        owner_type=ContentType.objects.get_for_model(RepairOrder), owner_id=w.order.pk
    ).first()
    assert w.deadline is not None
    w.notification = Notification.objects.create(
        recipient=w.dealer_user,
        channel=Channel.values[0],
        subject=f"报价待确认 {w.app.number}",
    )
    w.webhook, _secret = webhook_services.endpoint_create(
        org_unit=w.dealer, url="http://127.0.0.1:9/xj-hook", description="湘江 ERP 回调"
    )
    w.delivery = webhook_services.send_ping(endpoint=w.webhook)
    w.leave, w.shift_swap, w.handover = _shift_records(w)
    from callcenter.models import CallbackRequest

    w.callback = CallbackRequest.objects.filter(org_unit=w.cs).order_by("pk").first()
    assert w.callback is not None, "a shipped order of A owes a callback"
    w.cs_office = OrgUnit.objects.create(
        code="FO-CS", name="株洲办事处", kind=OrgKind.FIELD_OFFICE, parent=w.cs
    )
    w.registered_number = RegisteredNumber.objects.create(
        org_unit=w.cs_office, phone="13877770001", note="湘江片区值班"
    )
    w.code_import = ActivationCodeImport.objects.create(file_name="湘江激活码.xlsx")
    # a supervisors' callback list (专项回访名单) made in branch A: its name must show nowhere
    # else (the lists page, the overview and the callback list filtered by it are walked as-is)
    w.callback_list = CallbackList.objects.create(
        name="湘江专项回访名单-泄露检查",
        created_by=make_user("leak_cs_sup", w.cs, Role.SUPERVISOR),
        org_unit=w.cs,
    )
    w.complaint, w.complaint_attachment = _complaint_records(w)
    w.complaint_penalty, w.product_feedback = _complaint_penalty_and_feedback(w)
    w.token_a, _plaintext = issue_token(w.dealer, "xj-erp")
    w.export_job = _export_of_branch_a(w)
    w.call = _dealer_call(w)
    w.part, w.parts_warehouse, w.parts_count = _parts_records(w)
    w.faulty_return = _faulty_return(w)
    w.part_request, w.parts_quote = _part_request_and_quote(w)
    w.point_staff, w.point_application, w.point_evaluation, w.training, w.point_document = (
        _network_life_records(w)
    )
    w.reorder_point = _reorder_point(w)
    w.follow_up = w.call.follow_up
    w.receivable, w.payment, w.transfer = _collection_records(w)
    _token_b, w.plaintext_b = issue_token(w.dealer2, "zz-erp")
    # What must never show in another's answer: A's document numbers and names.
    w.markers = {
        w.oem_batch.number,
        w.oem_swap.number,
        w.oem_backup.serial_number,
        w.oem_swap.failed_fault,
        w.app.number,
        w.order.number,
        w.loan_order.number,
        w.lot.number,
        w.arrival.number,
        w.stock.number,
        w.dealer.name,
        w.dealer.code,
        w.token_a.prefix,
        w.notification.subject,
        w.webhook.url,
        w.handover.problems,
        w.callback.number,
        w.registered_number.phone,
        w.callback_list.name,
        w.complaint.number,
        w.complaint.content,
        w.complaint_penalty.reason,
        w.product_feedback.number,
        w.product_feedback.content,
        w.call.number,
        w.parts_warehouse.name,
        w.parts_warehouse.code,
        w.faulty_return.faulty_serial,
        w.part_request.number,
        w.parts_quote.number,
        w.field_request.number,
        w.field_request.contact_name,
        w.settlement.number,
        w.settlement_line.description,
        w.money_advance.number,
        w.money_advance.purpose,
        w.money_claim.number,
        w.money_claim.note,
        w.installed_unit.serial_number,
        w.installed_unit.owner_name,
        w.installed_unit.owner_phone,
        w.installed_unit.address,
        w.offer.rule,
        w.leak_point.name,
        w.leak_point.code,
        w.point_application.number,
        w.point_application.name,
        w.point_application.contact_name,
        w.point_evaluation.note,
        w.training.number,
        w.training.topic,
        w.point_document.number,
        w.receivable.number,
        w.payment.number,
        w.payment.reference,
        w.transfer.number,
        w.transfer.reference,
    }
    w.records = [
        w.app,
        w.signed_step,
        w.attachment,
        w.order,
        w.loan_order,
        w.quote,
        w.lot,
        w.loan,
        w.meeting,
        w.review_item,
        w.statement,
        w.arrival,
        w.penalty,
        w.stock,
        w.deadline,
        w.notification,
        w.token_a,
        w.registered_number,
        w.code_import,
        w.dealer,
        w.cs,
        w.leave,
        w.shift_swap,
        w.handover,
        w.callback,
        w.callback_list,
        w.complaint,
        w.complaint_attachment,
        w.complaint_penalty,
        w.product_feedback,
        w.call,
        w.parts_warehouse,
        w.parts_count,
        w.faulty_return,
        w.part_request,
        w.parts_quote,
        w.follow_up,
        w.field_request,
        w.field_visit,
        w.visit_photo,
        w.visit_part,
        w.settlement,
        w.settlement_line,
        w.money_advance,
        w.money_claim,
        w.money_step,
        w.receipt,
        w.fee_rule,
        w.installed_unit,
        w.offer,
        w.leak_point,
        w.leak_point.service_profile,
        w.point_application,
        w.point_evaluation,
        w.training,
        w.point_document,
        w.reorder_point,
        w.receivable,
        w.payment,
        w.transfer,
        w.sold_quote,
    ]
    return w


def _collection_records(w):
    """收款 (issue 22): dealer A's parts quote invoiced on account became its receivable;
    finance recorded a partial payment; the dispatcher proposed a 划账 for the rest."""
    from datetime import date
    from decimal import Decimal

    from repairs.models import Receivable
    from repairs.services import collections as col
    from spareparts.models import Part

    finance = make_user("leak_finance", w.hq, Role.FINANCE)
    dispatcher = make_user("leak_dispatcher", w.hq, Role.SALES_DISPATCHER)
    from spareparts.services import quotes

    parts_clerk = make_user("leak_parts_clerk", w.hq, Role.PARTS_CLERK)
    priced = Part.objects.create(number="LEAK-P-02", name_zh="配件", list_price=Decimal("10"))
    sold = quotes.quote_ask(dealer=w.dealer, lines=[(priced, 2)], actor=w.dealer_user)
    quotes.quote_send(quote_id=sold.pk, actor=parts_clerk)
    quotes.quote_accept(quote_id=sold.pk, actor=w.dealer_user)
    quotes.quote_settle(
        quote_id=sold.pk, actor=parts_clerk, how="invoiced", reference="INV-LEAK-0001"
    )
    receivable = Receivable.objects.get(parts_quote=sold)
    w.sold_quote = sold
    payment = col.payment_record(
        partner_id=w.dealer.pk,
        actor=finance,
        amount=Decimal("1.00"),
        received_on=date(2026, 1, 5),
        reference="BANK-LEAK-0001",
        allocations=[(receivable.pk, Decimal("1.00"))],
    )
    transfer = col.transfer_propose(
        receivable_id=receivable.pk,
        actor=dispatcher,
        amount=Decimal("1.00"),
        settled_on=date(2026, 1, 6),
        reference="HZ-LEAK-0001",
    )
    receivable.refresh_from_db()
    return receivable, payment, transfer


def _network_life_records(w):
    """The network's life of the service point under 长沙 (SP-LEAK, settled in the world): its
    profile and a technician, a qualification document on file, a proposed evaluation; an
    application to join filed under 长沙 and under review; a training 长沙 organised with the
    point's technician on it."""
    from datetime import date

    from django.core.files.base import ContentFile

    from network.life.models import (
        LifeRules,
        PointApplication,
        PointEvaluation,
        QualificationDocument,
        TrainingAttendee,
        TrainingSession,
    )
    from network.models import ServicePointProfile

    LifeRules.current()  # the one row of the rules (pages make it on first read otherwise)
    point = w.leak_point
    ServicePointProfile.objects.create(org_unit=point, skills=["维修"])
    staff = make_user("leak_point_staff", point, Role.SERVICE_POINT_STAFF)
    document = QualificationDocument.objects.create(
        org_unit=point,
        kind="business_licence",
        number="ZZ-LEAK-0001",
        expires_on=date(2027, 12, 31),
        file=ContentFile(b"%PDF-1.4 licence", name="licence.pdf"),
    )
    evaluation = PointEvaluation.objects.create(
        org_unit=point,
        period="2026Q3",
        period_start=date(2026, 7, 1),
        period_end=date(2026, 10, 1),
        grade_before="C",
        suggested_grade="B",
        note="考核标记-泄露检查",
    )
    application = PointApplication.objects.create(
        number="RW-LEAK-0001",
        state="under_review",
        name="申请入网网点-泄露检查",
        parent=w.cs,
        contact_name="申请联系人-泄露检查",
        phone="13900003333",
        province="湖南",
        address="入网地址-泄露检查",
    )
    training = TrainingSession.objects.create(
        number="PX-LEAK-0001",
        topic="培训标记-泄露检查",
        starts_at=timezone.now() + timezone.timedelta(days=3),
        mode="on_site",
        place="长沙分公司",
        org_unit=w.cs,
    )
    TrainingAttendee.objects.create(session=training, user=staff, org_unit=point)
    return staff, application, evaluation, training, document


def _reorder_point(w):
    """A reorder point (补货点) of dealer A's parts warehouse, set by the parts staff."""
    from spareparts.services.planning import reorder_point_set

    clerk = make_user("leak-parts-planner", w.hq, Role.PARTS_CLERK)
    return reorder_point_set(
        part=w.part, warehouse=w.parts_warehouse, minimum=2, reorder_quantity=5, actor=clerk
    )


def _complaint_records(w):
    """Dealer A's complaint about a repair, with an attachment (a complaint of branch A)."""
    from django.core.files.base import ContentFile

    from complaints.models import Complaint, ComplaintAttachment

    complaint = Complaint.objects.create(
        number="KS-LEAK-0001",
        complainant_unit=w.dealer,
        complainant_name="湘江代理商",
        channel="web",
        category="repair_time",
        serial_number="SN-LEAK-0001",
        content="投诉标记-泄露检查",
        org_unit=w.cs,
    )
    attachment = ComplaintAttachment.objects.create(
        complaint=complaint, file=ContentFile(b"%PDF-1.4 leak", name="leak.pdf")
    )
    return complaint, attachment


def _complaint_penalty_and_feedback(w):
    """A penalty proposed on A's complaint against 长沙's engineer (his ledger), and the feedback
    to development the complaint fed."""
    from complaints.models import ComplaintPenalty, ProductFeedback

    penalty = ComplaintPenalty.objects.create(
        complaint=w.complaint,
        person=w.cs_engineer,
        capacity="responsible",
        person_unit=w.cs,
        org_unit=w.cs,
        kind="fine",
        amount=200,
        reason="处罚标记-泄露检查",
    )
    feedback = ProductFeedback.objects.create(
        number="XF-LEAK-0001",
        product_model="GPS-LEAK",
        source="complaint",
        pattern_key="quality",
        content="反馈标记-泄露检查",
        org_unit=w.hq,
    )
    feedback.complaints.add(w.complaint)
    return penalty, feedback


def _shift_records(w):
    """The call centre's shifts: a leave waiting, a swap agreed, a hand-over to acknowledge."""
    from datetime import timedelta

    from callcenter.models import HandOver, LeaveRequest, RosterEntry, ShiftGroup, ShiftSwap
    from callcenter.models.shifts import ShiftMember, SwapState

    today = timezone.localdate()
    a1, b1 = (make_user(u, w.hq, Role.CALL_AGENT) for u in ("leak_a1", "leak_b1"))
    group = ShiftGroup.objects.create(code="LW", anchor=today)
    for agent in (a1, b1):
        ShiftMember.objects.create(group=group, user=agent)
    rows = {}
    for agent, offset in ((a1, 2), (b1, 3)):
        day = today + timedelta(days=offset)
        start, end = group.shift_times(day)
        rows[agent] = RosterEntry.objects.create(
            day=day, agent=agent, group=group, starts_at=start, ends_at=end
        )
    leave = LeaveRequest.objects.create(
        agent=a1,
        group=group,
        kind="ordinary",
        first_day=rows[a1].day,
        last_day=rows[a1].day,
        shift_starts_at=rows[a1].starts_at,
        reason="事由",
    )
    swap = ShiftSwap.objects.create(
        requester=a1,
        partner=b1,
        requester_group=group,
        partner_group=group,
        requester_entry=rows[a1],
        partner_entry=rows[b1],
        requester_day=rows[a1].day,
        partner_day=rows[b1].day,
        month=rows[a1].day.replace(day=1),
        state=SwapState.AGREED,
    )
    handover = HandOver.objects.create(
        shift_day=today, group=group, written_by=a1, equipment="正常", problems="交接标记-泄露检查"
    )
    return leave, swap, handover


def _parts_records(w):
    """Dealer A's own parts warehouse with stock moved in and a count sheet of it."""
    from spareparts.choices import WarehouseKind
    from spareparts.models import Part, Warehouse
    from spareparts.services import counts, stock

    clerk = make_user("leak-parts-clerk", w.hq, Role.PARTS_CLERK)
    part = Part.objects.create(number="LEAK-P-01", name_zh="配件")
    warehouse = Warehouse.objects.create(
        code="W-LEAK-XJ",
        name="湘江配件仓-泄露检查",
        kind=WarehouseKind.SERVICE_POINT,
        org_unit=w.dealer,
    )
    stock.stock_receive(part=part, warehouse=warehouse, quantity=3, actor=clerk, reason="入库")
    stock.stock_reserve(part=part, warehouse=warehouse, quantity=1, actor=clerk)
    count = counts.count_open(warehouse=warehouse, actor=clerk)
    return part, warehouse, count


def _faulty_return(w):
    """A faulty part dealer A owes back after a warranty replacement (旧件返还)."""
    from spareparts.services.faulty import faulty_part_record

    return faulty_part_record(
        part=w.part,
        faulty_serial="LEAK-FAULTY-SN-01",
        new_serial="LEAK-NEW-SN-01",
        owed_by_unit=w.dealer,
        owed_by=w.dealer_user,
        actor=w.dealer_user,
    )


def _part_request_and_quote(w):
    """Dealer A asks headquarters for parts for its own warehouse (配件申请) and for a quote."""
    from spareparts.choices import WarehouseKind
    from spareparts.models import Warehouse
    from spareparts.services.quotes import quote_ask
    from spareparts.services.requests import part_request_create

    Warehouse.objects.get_or_create(
        code="W-LEAK-HQ",
        defaults={"name": "总部配件仓", "kind": WarehouseKind.HQ, "org_unit": w.hq},
    )
    request = part_request_create(
        warehouse=w.parts_warehouse, lines=[(w.part, 2)], actor=w.dealer_user
    )
    quote = quote_ask(dealer=w.dealer, lines=[(w.part, 1)], actor=w.dealer_user)
    return request, quote


def _dealer_call(w):
    """A call from dealer A's number, a follow-up for 长沙's engineer to answer."""
    from django.utils import timezone

    from callcenter.choices import CallCategory, CallOutcome
    from callcenter.services.calls import call_log
    from network.choices import Role
    from tests.factories import make_user

    agent = make_user("leak-agent", w.hq, Role.CALL_AGENT)
    w.dealer.phone = "0731-8888 1234"
    w.dealer.save()
    return call_log(
        actor=agent,
        phone="0731-8888 1234",
        caller=f"unit:{w.dealer.pk}",
        category=CallCategory.TECHNICAL,
        summary="湘江代理商来电：设备无法定位",
        outcome=CallOutcome.FOLLOW_UP,
        assignee=w.cs_engineer,
        due_at=timezone.now() + timezone.timedelta(days=1),
    )


def snapshot(records) -> dict:
    with connection.cursor() as cursor:
        counts = {}
        for table in connection.introspection.table_names(cursor):
            if table == "django_session":  # signing the attackers in
                continue
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    rows = {
        (type(obj).__name__, obj.pk): type(obj).objects.filter(pk=obj.pk).values().get()
        for obj in records
    }
    return {"counts": counts, "rows": rows}


@dataclass
class Finding:
    who: str
    method: str
    url: str
    status: int
    why: str

    def __str__(self):
        return f"{self.who} {self.method.upper()} {self.url} → {self.status}: {self.why}"


def judge(who, method, url, response, *, names_a_record: bool, markers) -> Finding | None:
    """None when the answer is a refusal, a login redirect, or shows nothing of A's."""
    status = response.status_code
    if status >= 500:
        return Finding(who, method, url, status, "server error")
    if status in (301, 302, 303, 307, 308):
        location = response.headers.get("Location", "")
        path = location.split("?")[0]
        if any(path.endswith(page) for page in LOGIN_PAGES):
            return None
        if names_a_record:
            return Finding(who, method, url, status, f"redirected to {location}")
        return None
    if names_a_record and status not in OK_REFUSALS:
        return Finding(who, method, url, status, "answered about A's record")
    if 200 <= status < 300 and not getattr(response, "streaming", False):
        body = response.content.decode(errors="replace")
        leaked = sorted(m for m in markers if m and m in body)
        if leaked:
            return Finding(who, method, url, status, f"shows A's {leaked}")
    return None


def test_no_route_leaks_or_changes_a_dealers_or_a_branchs_records(leak_world):
    w = leak_world
    started = time.monotonic()
    dealer_b = APIClient()
    dealer_b.force_login(w.dealer2_user)  # the other dealer of the same branch, signed in
    branch_b = APIClient()
    branch_b.force_login(w.gz_manager)  # the other branch's manager
    token_b = APIClient()
    token_b.credentials(**bearer(w.plaintext_b))  # the other dealer's own system

    # the precondition: none of A's records is visible to them by the visibility rule
    for user in (w.dealer2_user, w.gz_manager):
        for obj in w.records:
            manager = type(obj).objects
            if hasattr(manager, "visible_to") and type(obj) is not OrgUnit:
                assert not manager.visible_to(user).filter(pk=obj.pk).exists(), (user, obj)

    before = snapshot(w.records)
    findings: list[Finding] = []
    requests = 0
    statuses: dict[int, int] = {}
    routes = [r for r in all_routes() if r.name not in NOT_WALKED]
    attackers = (("dealer B", dealer_b), ("branch B", branch_b), ("dealer B token", token_b))
    for route in routes:
        names_record = bool(route.params) and not route.admin and route.name not in PUBLIC_BY_TOKEN
        for url in urls_of(route, w):
            for who, client in attackers:
                if who == "dealer B token" and not route.api:
                    methods = ("get",)  # a browser page or the admin: the token is no login
                elif route.admin:
                    methods = ("get", "post")
                else:
                    methods = ("get", *WRITE_METHODS)
                for method in methods:
                    response = getattr(client, method)(url, {} if method != "get" else None)
                    requests += 1
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                    finding = judge(
                        who,
                        method,
                        url,
                        response,
                        names_a_record=names_record,
                        markers=() if route.name in STATIC_BODIES else w.markers,
                    )
                    if finding:
                        findings.append(finding)

    assert findings == [], "\n".join(map(str, findings))
    after = snapshot(w.records)
    changed = {t: (before["counts"][t], n) for t, n in after["counts"].items()}
    changed = {t: pair for t, pair in changed.items() if pair[0] != pair[1]}
    assert changed == {}, changed
    for key, row in before["rows"].items():
        assert after["rows"][key] == row, key
    elapsed = time.monotonic() - started

    # The control: the same URLs open for someone who may see A's records, so the refusals
    # above came from the scope, not from ids that point nowhere.
    head = APIClient()
    head.force_login(w.head)
    for name in SEEN_BY_HEADQUARTERS:
        route = next(r for r in routes if r.name == name)
        for url in urls_of(route, w):
            assert head.get(url).status_code == 200, (name, url)
    print(f"leak walk: {len(routes)} routes, {requests} requests in {elapsed:.1f} s: {statuses}")
    assert requests > 1000
