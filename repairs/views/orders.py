"""Repair-order screens (维修组维修流程): the technician's queue, the clerk's board, the order and
its lot, loaners, the Wednesday/Saturday review and the month-end statements.

Views stay thin: reads come from selectors/orders.py (scoped with `visible_to`, out of scope → 404),
every write goes through a service via a forms/orders.py form. A service's ValidationError becomes
form errors (the page keeps what was typed), PermissionDenied a 403, TransitionNotAllowed the
message "此操作在当前状态下不允许" and a redirect. htmx posts from the queue and the board get the
unit's card back, updated in place."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_fsm import TransitionNotAllowed

from network.choices import Role
from service_ops.actions import (
    not_allowed,
    not_allowed_text,
    run_action,
    safe_next,
)
from service_ops.files import stored_file_response
from service_ops.money import yuan_in_capitals
from service_ops.paging import keyset_page
from service_ops.selectors import is_internal

from .. import permissions as perm
from ..choices import OrderState, StatementState
from ..exports import XLSX_CONTENT_TYPE
from ..filtersets.orders import RepairOrderFilterSet
from ..forms import orders as of
from ..markup.orders import BOARD_STEPS, PARTIALS, TECH_STEPS, Card
from ..models import Loan, MonthlyStatement, RepairOrder, ReviewItem, ReviewMeeting
from ..permissions import has_role
from ..selectors import orders as sel
from ..services import orders as ro
from ..statement_exports import statement_pdf, statement_xlsx

PAGE_SIZE = 25
# What each card offers; the order page offers everything the user may do.
TECH_ACTIONS = frozenset(
    {
        "pick_up",
        "start_repair",
        "raise_quote",
        "wait_for_parts",
        "parts_arrived",
        "finish_repair",
        "finish_burn_in",
        "qc",
        "pack",
        "warranty",
    }
)
BOARD_ACTIONS = frozenset({"send_quote", "answer_quote", "contact", "ship", "close"})
CARD_ACTIONS = {"tech": TECH_ACTIONS, "board": BOARD_ACTIONS}


def board_columns() -> list[sel.BoardColumn]:
    return [
        sel.BoardColumn("send", gettext_lazy("待发送报价"), (OrderState.QUOTING,)),
        sel.BoardColumn("consent", gettext_lazy("待客户确认报价"), (OrderState.WAITING_CONSENT,)),
        sel.BoardColumn(
            "ship",
            gettext_lazy("待发回"),
            (OrderState.PACKED, OrderState.RETURN_UNREPAIRED),
        ),
        sel.BoardColumn("close", gettext_lazy("已发货，待关闭"), (OrderState.SHIPPED,)),
    ]


# --- helpers ------------------------------------------------------------------------------------


def _visible_order(user, pk: int) -> RepairOrder:
    try:
        return sel.order_for(user, pk)
    except RepairOrder.DoesNotExist as exc:
        raise Http404 from exc


# The cards' folded steps and the partial each is drawn by once opened (markup/orders.py)
LAZY_FORMS = {
    step.action: PARTIALS + step.partial
    for step in (*TECH_STEPS, *BOARD_STEPS)
    if step.kind == "folded"
}


class _Folded:
    """Stands in for a folded form on a list of cards (the card draws its summary only): the
    form itself is built when the card is opened (order_action_form)."""

    is_bound = False


def _with_forms(orders, user, ui: str) -> None:
    for order in orders:
        actions = sel.order_actions(order, user) & CARD_ACTIONS[ui]
        order.forms = of.action_forms(order, user, actions - LAZY_FORMS.keys())
        order.forms.update(dict.fromkeys(actions & LAZY_FORMS.keys(), _Folded()))


def _card(request, pk: int, ui: str, *, bound=None, outcome=None):
    """One unit's card after an htmx action: fresh state, its actions now, and the outcome
    (("success" | "warning", text)) or the failed form with its errors."""
    order = _visible_order(request.user, pk)
    actions = sel.order_actions(order, request.user) & CARD_ACTIONS[ui]
    order.forms = of.action_forms(order, request.user, actions, bound=bound)
    card = Card(request, ui)
    draw = card.tech if ui == "tech" else card.board
    return HttpResponse(draw(order, outcome=outcome))


def _render_order(request, order, *, bound=None, status=200):
    user = request.user
    actions = sel.order_actions(order, user)
    page = sel.order_page(order)
    part_lines, parts_total = sel.order_part_lines(order)  # issue 19
    if sel.offers_supplementary_quote(order, user, part_lines):
        actions.add("raise_quote")
    return render(
        request,
        "repairs/orders/order_detail.html",
        {
            "order": order,
            "page": page,
            "part_lines": part_lines,
            "parts_total": parts_total,
            "forms": of.action_forms(order, user, actions, bound=bound),
            "actions": actions,
            "can_return_loans": perm.may_handle_loaners(user),
            "is_internal": is_internal(user),
        },
        status=status,
    )


# --- the technician's queue and the clerk's board ----------------------------------------------


@login_required
@require_GET
def technician_queue(request):
    user = request.user
    if not perm.is_technician(user):
        raise PermissionDenied
    everyone = request.GET.get("all") == "1" and has_role(user, Role.REPAIR_SUPERVISOR)
    queue = sel.technician_queue(user, everyone=everyone)
    card = Card(request, "tech")
    for orders, show_technician in [(queue.waiting, False)] + [
        (group.rows, everyone) for group in queue.groups
    ]:
        _with_forms(orders, user, "tech")
        for order in orders:
            order.card = card.tech(order, show_technician=show_technician)
    return render(
        request,
        "repairs/orders/technician_queue.html",
        {"queue": queue, "is_supervisor": has_role(user, Role.REPAIR_SUPERVISOR)},
    )


@login_required
@require_GET
def order_board(request):
    user = request.user
    if not perm.may_see_board(user):
        raise PermissionDenied
    columns = sel.clerk_board(user, columns=board_columns())
    card = Card(request, "board")
    for column in columns:
        _with_forms(column.rows, user, "board")
        for order in column.rows:
            order.card = card.board(order)
    return render(
        request,
        "repairs/orders/board.html",
        {
            "columns": columns,
            "overdue_total": sum(c.overdue_count for c in columns),
            "may_review": perm.may_review(user),
            "may_post_delay": perm.may_post_delay_notice(user),
            "may_loan": perm.may_see_loaners(user),
        },
    )


# --- orders ------------------------------------------------------------------------------------


@login_required
@require_GET
def order_list(request):
    filterset = RepairOrderFilterSet(
        request.GET or None, queryset=sel.visible_orders(request.user), request=request
    )
    page = keyset_page(filterset.qs, request.GET, size=PAGE_SIZE)
    page.object_list = sel.attach_timers(page.object_list)
    return render(request, "repairs/orders/order_list.html", {"page": page, "form": filterset.form})


@login_required
@require_GET
def order_detail(request, pk: int):
    return _render_order(request, _visible_order(request.user, pk))


@login_required
@require_POST
def order_act(request, pk: int, action: str):
    """One step on an order (see forms/orders.py ACTIONS). From a card (htmx, `ui`=tech|board) the
    card comes back; from the order page a redirect to `next`, or the page with the errors."""
    form_class = of.ACTIONS.get(action)
    if form_class is None:
        raise Http404
    order = _visible_order(request.user, pk)
    ui = request.POST.get("ui", "")
    card = ui in CARD_ACTIONS and bool(request.htmx)
    form = form_class(request.POST, request.FILES, order=order, user=request.user)
    if not form.permitted():
        raise PermissionDenied
    return run_action(
        request,
        form,
        lambda _data: form.submit(),
        safe_next(request, order.get_absolute_url()),
        invalid=lambda form: (
            _card(request, pk, ui, bound=form)
            if card
            else _render_order(request, order, bound=form, status=400)
        ),
        on_success=lambda _result: (
            _card(request, pk, ui, outcome=("success", form.done)) if card else None
        ),
        on_not_allowed=(
            (lambda: _card(request, pk, ui, outcome=("warning", not_allowed_text())))
            if card
            else None
        ),
        message=lambda _result: form.done,
    )


@login_required
@require_GET
def order_action_form(request, pk: int, action: str):
    """A card's folded form, fetched when it is opened (Card.folded): the queue and the board
    draw a hundred cards or more, and these forms (the quote's lines above all) were most of
    their time."""
    partial = LAZY_FORMS.get(action)
    ui = request.GET.get("ui", "tech")
    if partial is None or ui not in CARD_ACTIONS:
        raise Http404
    order = _visible_order(request.user, pk)
    if action not in sel.order_actions(order, request.user) & CARD_ACTIONS[ui]:
        raise PermissionDenied
    (form,) = of.action_forms(order, request.user, [action]).values()
    return render(request, partial, {"order": order, "form": form, "ui": ui, "open": True})


@login_required
@require_GET
def order_packing_label(request, pk: int):
    """The packing slip and one label per parcel (第 i/N 件), printed when the unit is boxed."""
    order = _visible_order(request.user, pk)
    parcels = order.parcels or 1
    return render(
        request,
        "repairs/orders/packing_label.html",
        {
            "order": order,
            "application": order.lot.application,
            "items": [x for x in order.packing_list.splitlines() if x.strip()],
            "labels": [(i, parcels) for i in range(1, parcels + 1)],
        },
    )


@login_required
@require_GET
def lot_detail(request, pk: int):
    lot = get_object_or_404(sel.visible_lots(request.user), pk=pk)
    return render(request, "repairs/orders/lot_detail.html", {"page": sel.lot_page(lot)})


# --- loaners -----------------------------------------------------------------------------------


@login_required
@require_GET
def loaner_list(request):
    if not perm.may_see_loaners(request.user):
        raise PermissionDenied
    units = sel.loaner_pool()
    return render(
        request,
        "repairs/orders/loaners.html",
        {
            "units": units,
            "loans": sel.open_loans(units),
            "available": sum(1 for u in units if u.is_available),
            "can_return": perm.may_handle_loaners(request.user),
        },
    )


@login_required
@require_POST
def loan_return(request, pk: int):
    loan = get_object_or_404(Loan.objects.visible_to(request.user).select_related("loaner"), pk=pk)
    if not perm.may_handle_loaners(request.user):
        raise PermissionDenied
    back = safe_next(request, reverse("repairs:loaner_list"))
    try:
        ro.loan_return(loan_id=loan.pk, actor=request.user)
    except TransitionNotAllowed:
        return not_allowed(request, back)
    messages.success(request, _("备用机 %(s)s 已归还入库") % {"s": loan.loaner})
    return redirect(back)


# --- the Wednesday / Saturday review -----------------------------------------------------------


def _require_review(user):
    if not perm.may_review(user):
        raise PermissionDenied


@login_required
@require_GET
def review_list(request):
    _require_review(request.user)
    page = keyset_page(
        sel.review_meetings(),
        request.GET,
        size=PAGE_SIZE,
        order=sel.REVIEW_MEETING_ORDER,
        rows=sel.with_review_counts,
    )
    return render(
        request,
        "repairs/orders/review_list.html",
        {"page": page, "can_build": perm.may_build_review(request.user)},
    )


@login_required
@require_POST
def review_build(request):
    if not perm.may_build_review(request.user):
        raise PermissionDenied
    meeting = ro.review_build()
    count = meeting.items.count()
    messages.success(
        request,
        _("已生成 %(d)s 的评审清单：%(n)d 台超期未发") % {"d": meeting.held_on, "n": count},
    )
    return redirect(meeting)


def _render_review(request, meeting, *, bound=None, status=200):
    items = sel.review_items(meeting, request.user)
    loaners = sel.available_loaners()
    for item in items:
        if bound is not None and bound.item.pk == item.pk:
            item.form = bound
        elif not item.decision:
            item.form = of.ReviewDecisionForm(item=item, loaners=loaners)
    return render(
        request,
        "repairs/orders/review_detail.html",
        {
            "meeting": meeting,
            "items": items,
            "decided": sum(1 for i in items if i.decision),
            "can_build": perm.may_build_review(request.user),
        },
        status=status,
    )


@login_required
@require_GET
def review_detail(request, pk: int):
    return _render_review(
        request, get_object_or_404(ReviewMeeting.objects.visible_to(request.user), pk=pk)
    )


@login_required
@require_POST
def review_decide(request, pk: int):
    item = get_object_or_404(
        ReviewItem.objects.visible_to(request.user).select_related("meeting", "order"), pk=pk
    )
    _require_review(request.user)
    form = of.ReviewDecisionForm(request.POST, item=item, loaners=sel.available_loaners())
    return run_action(
        request,
        form,
        lambda _data: form.submit(request.user),
        f"{item.meeting.get_absolute_url()}#item-{item.pk}",
        invalid=lambda form: _render_review(request, item.meeting, bound=form, status=400),
        message=lambda decided: (
            _("已记录 %(no)s 的评审决定：%(d)s")
            % {"no": item.order.number, "d": decided.get_decision_display()}
        ),
    )


# --- month-end statements -------------------------------------------------------------------


def _render_statements(request, *, build_form=None, status=200):
    user = request.user
    filters = of.StatementFilterForm(request.GET or None, user=user)
    page = keyset_page(
        sel.statements(user, **filters.filters()),
        request.GET,
        size=PAGE_SIZE,
        order=sel.STATEMENT_ORDER,
        rows=sel.with_line_counts,
    )
    can_build = perm.may_build_statement(user)
    return render(
        request,
        "repairs/orders/statement_list.html",
        {
            "page": page,
            "filters": filters,
            "can_build": can_build,
            "build_form": build_form or (of.StatementBuildForm(user=user) if can_build else None),
        },
        status=status,
    )


@login_required
@require_GET
def statement_list(request):
    return _render_statements(request)


@login_required
@require_POST
def statement_build(request):
    if not perm.may_build_statement(request.user):
        raise PermissionDenied
    form = of.StatementBuildForm(request.POST, user=request.user)
    return run_action(
        request,
        form,
        lambda _data: form.submit(request.user),
        lambda statement: statement.get_absolute_url(),
        invalid=lambda form: _render_statements(request, build_form=form, status=400),
        message=lambda statement: (
            _("已生成 %(s)s 对账单：%(n)d 台，合计 ¥%(t)s")
            % {"s": statement, "n": statement.lines.count(), "t": statement.total}
            if statement.lines.exists()
            else _("已生成 %(s)s 对账单，但本月没有发货的收费维修：合计 ¥0。请确认月份和分公司。")
            % {"s": statement}
        ),
    )


def _visible_statement(user, pk: int) -> MonthlyStatement:
    return get_object_or_404(
        MonthlyStatement.objects.visible_to(user).select_related(
            "branch", "confirmed_by", "handed_over_by", "settled_by"
        ),
        pk=pk,
    )


def _render_statement(request, statement: MonthlyStatement, *, settle_form=None, status=200):
    user = request.user
    can_settle = perm.may_settle_statement(user, statement)
    if can_settle and settle_form is None:
        settle_form = of.StatementSettleForm(statement=statement)
    return render(
        request,
        "repairs/orders/statement_detail.html",
        {
            "statement": statement,
            "lines": sel.statement_lines(statement),
            # issue 19: each issued part line at its price (warranty free, paid charged)
            "part_lines": list(statement.part_lines.select_related("order").order_by("id")),
            "is_internal": is_internal(user),
            "totals": [
                (_("维修费"), statement.repair_fees),
                (_("配件及材料费"), statement.parts_fees),
                (_("合计"), statement.total),
            ],
            "locked": statement.state != StatementState.DRAFT,
            "settled": statement.state == StatementState.SETTLED,
            "total_in_capitals": _("人民币%(t)s") % {"t": yuan_in_capitals(statement.total)},
            "can_confirm": perm.may_confirm_statement(user, statement),
            "can_hand_over": perm.may_hand_over_statement(user, statement),
            "settle_form": settle_form if can_settle else None,
            "waits_for_month_end": statement.waits_for_month_end(),
            "stale": not statement.waits_for_month_end() and not statement.is_final(),
            "can_build": perm.may_build_statement(user),
        },
        status=status,
    )


@login_required
@require_GET
def statement_detail(request, pk: int):
    return _render_statement(request, _visible_statement(request.user, pk))


@login_required
@require_POST
def statement_confirm(request, pk: int):
    statement = _visible_statement(request.user, pk)
    try:
        ro.statement_confirm(statement_id=statement.pk, actor=request.user)
    except TransitionNotAllowed:
        return not_allowed(request, statement.get_absolute_url())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(statement)
    messages.success(request, _("已确认 %(s)s 对账单，对账单已锁定") % {"s": statement})
    return redirect(statement)


@login_required
@require_POST
def statement_hand_over(request, pk: int):
    """将确认结果提交销售调度部 (customer service)."""
    statement = _visible_statement(request.user, pk)
    try:
        ro.statement_hand_over(statement_id=statement.pk, actor=request.user)
    except TransitionNotAllowed:
        return not_allowed(request, statement.get_absolute_url())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(statement)
    messages.success(
        request, _("已将 %(s)s 对账单提交销售调度部，调度员已收到划账通知") % {"s": statement}
    )
    return redirect(statement)


@login_required
@require_POST
def statement_settle(request, pk: int):
    """The dispatcher records the transfer agreed with finance (划账)."""
    statement = _visible_statement(request.user, pk)
    if not perm.may_settle_statement(request.user, statement):
        if statement.state != StatementState.HANDED_OVER:
            return not_allowed(request, statement.get_absolute_url())
        raise PermissionDenied
    form = of.StatementSettleForm(request.POST, statement=statement)
    return run_action(
        request,
        form,
        lambda _data: form.submit(request.user),
        lambda settled: settled.get_absolute_url(),
        invalid=lambda form: _render_statement(request, statement, settle_form=form, status=400),
        not_allowed_url=statement.get_absolute_url(),
        message=lambda settled: (
            _("已登记 %(s)s 对账单划账：¥%(a)s，凭证号 %(r)s")
            % {"s": settled, "a": settled.settled_amount, "r": settled.settlement_reference}
        ),
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def statement_export(request, pk: int, fmt: str):
    statement = _visible_statement(request.user, pk)
    name = f"statement-{statement.branch.code}-{statement.month:%Y-%m}"
    if fmt == "xlsx":
        response = HttpResponse(statement_xlsx(statement), content_type=XLSX_CONTENT_TYPE)
    elif fmt == "pdf":
        response = HttpResponse(statement_pdf(statement), content_type="application/pdf")
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


# --- delay notices ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def delay_notice_create(request):
    if not perm.may_post_delay_notice(request.user):
        raise PermissionDenied
    form = of.DelayNoticeForm(request.POST or None, user=request.user)

    def page(form, status=200):
        template = "repairs/orders/delay_notice_form.html"
        return render(request, template, {"form": form}, status=status)

    if request.method == "GET":
        return page(form)
    return run_action(
        request,
        form,
        lambda _data: form.submit(request.user),
        reverse("repairs:order_board"),
        invalid=lambda form: page(form, status=400),
        message=lambda notice: (
            _("已发出延误通知 %(no)s：%(n)d 台机器，发货方已收到通知")
            % {"no": notice.number, "n": notice.orders.count()}
        ),
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def quote_signed_copy(request, pk: int, quote_pk: int):
    """The signed and stamped quote, for whoever may see the order."""
    order = _visible_order(request.user, pk)
    quote = get_object_or_404(order.quotes.exclude(signed_copy=""), pk=quote_pk)
    return stored_file_response(quote.signed_copy)
