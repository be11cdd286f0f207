"""Settlement with service points (网点结算): the statements list (keyset, filters month, point,
state), a statement with its lines, the gates of the month's unpaid visits and every step
(build, rewards and penalties, issue, the point's answer line by line, the resolution of
disputed lines, approval, export for payment), and the fee rules (list, add, end).

Outside the viewer's scope 404; not allowed for the viewer 403; bad input 400 with the form;
a step the state no longer allows 409 with the page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_fsm import TransitionNotAllowed

from network.selectors import held_roles
from service_ops.actions import apply_service_errors
from service_ops.paging import keyset_page
from service_ops.transitions.services import log_of

from .. import permissions as perm
from ..choices import SettlementLineKind, SettlementLineState, SettlementState
from ..exports import XLSX_CONTENT_TYPE
from ..forms import settlement as forms
from ..models.settlement import FeeRule, SettlementLine
from ..selectors import settlement as sel
from ..services import settlement as svc
from ..settlement_exports import settlement_pdf, settlement_xlsx

S = SettlementState
L = SettlementLineState
STATEMENT_ACTIONS = ("issue", "approve", "export", "confirm_rest", "add_line")
LINE_ACTIONS = ("confirm", "dispute", "resolve", "remove")
EXPORTABLE = (S.CONFIRMED, S.APPROVED, S.EXPORTED)


def _may_see_settlement(user) -> bool:
    from ..plugin import SETTLEMENT_ROLES

    return user.is_superuser or bool(SETTLEMENT_ROLES & held_roles(user))


# --- the list ----------------------------------------------------------------------------------


def _render_list(request, *, build_form=None, status=200):
    user = request.user
    filters = forms.SettlementFilterForm(request.GET or None, user=user)
    month = point = None
    state = ""
    if filters.is_bound and filters.is_valid():
        month = filters.cleaned_data["month"]
        point = filters.cleaned_data["point"]
        state = filters.cleaned_data["state"]
    qs = sel.statements(user, month=month, point_id=point.pk if point else None, state=state)
    may_build = perm.may_manage_settlement(user)
    if may_build and build_form is None:
        build_form = forms.SettlementBuildForm(user=user)
    return render(
        request,
        "repairs/field/settlement/list.html",
        {
            "page": keyset_page(qs, request.GET),
            "filters": filters,
            "build_form": build_form if may_build else None,
            "may_rules": perm.may_read_fee_rules(user),
        },
        status=status,
    )


@login_required
@require_GET
def settlement_list(request):
    if not _may_see_settlement(request.user):
        raise PermissionDenied
    return _render_list(request)


@login_required
@require_POST
def settlement_build(request):
    user = request.user
    if not perm.may_manage_settlement(user):
        raise PermissionDenied
    form = forms.SettlementBuildForm(request.POST, user=user)
    if not form.is_valid():
        return _render_list(request, build_form=form, status=400)
    month, point = form.cleaned_data["month"], form.cleaned_data["point"]
    try:
        if point is not None:
            one = svc.settlement_build(point=point, month=month, actor=user)
            built = [one] if one is not None else []
        else:
            built = svc.settlement_batch(month=month, actor=user)
    except ValidationError as exc:
        apply_service_errors(exc, form)
        return _render_list(request, build_form=form, status=400)
    if len(built) == 1:
        messages.success(
            request, _("已生成结算单 %(no)s：¥%(t)s") % {"no": built[0].number, "t": built[0].total}
        )
        return redirect(built[0].get_absolute_url())
    if built:
        messages.success(request, _("已生成或更新 %(n)d 份结算单") % {"n": len(built)})
    else:
        messages.info(request, _("%(m)s 没有可结算的上门服务") % {"m": f"{month:%Y-%m}"})
    return redirect(f"{reverse('repairs:settlement_list')}?month={month:%Y-%m}")


# --- one statement -------------------------------------------------------------------------------


def _visible(request, pk):
    return get_object_or_404(
        sel.statements(request.user).select_related("issued_by", "approved_by", "exported_by"),
        pk=pk,
    )


def _page(request, statement, *, add_form=None, line_forms=None, status=200):
    user = request.user
    specialist = perm.may_manage_settlement(user)
    answers = perm.may_answer_settlement(user, statement)
    lines = list(sel.statement_lines(statement))
    line_forms = line_forms or {}
    for line in lines:
        line.may_answer = answers and statement.state == S.ISSUED and line.state == L.PENDING
        line.may_resolve = (
            specialist and statement.state in (S.ISSUED, S.DISPUTED) and line.state == L.DISPUTED
        )
        line.may_remove = (
            specialist and statement.state == S.DRAFT and line.kind != SettlementLineKind.VISIT
        )
        line.dispute_form, line.resolve_form = line_forms.get(line.pk, (None, None))
        if line.may_answer and line.dispute_form is None:
            line.dispute_form = forms.DisputeForm(prefix=f"l{line.pk}")
        if line.may_resolve and line.resolve_form is None:
            line.resolve_form = forms.ResolveForm(prefix=f"r{line.pk}")
    draft = statement.state == S.DRAFT
    return render(
        request,
        "repairs/field/settlement/detail.html",
        {
            "statement": statement,
            "lines": lines,
            "unpaid": sel.statement_unpaid(statement, now=timezone.now()),
            "unpaid_cap": sel.UNPAID_SHOWN,
            "may_issue": specialist and draft,
            "may_add_line": specialist and draft,
            "add_form": add_form or (forms.AdjustmentLineForm() if specialist and draft else None),
            "may_confirm_rest": answers
            and statement.state == S.ISSUED
            and any(ln.state == L.PENDING for ln in lines),
            "may_approve": perm.may_approve_settlement(user) and statement.state == S.CONFIRMED,
            "may_export": perm.may_export_settlement(user) and statement.state == S.APPROVED,
            "exportable": statement.state in EXPORTABLE,
            "log": log_of(statement),
        },
        status=status,
    )


@login_required
@require_GET
def settlement_detail(request, pk: int):
    return _page(request, _visible(request, pk))


def _conflict(request, statement):
    statement.refresh_from_db()
    messages.error(request, _("结算单的状态已改变，不能执行此操作"))
    return _page(request, statement, status=409)


@login_required
@require_POST
def settlement_act(request, pk: int, action: str):
    if action not in STATEMENT_ACTIONS:
        raise Http404
    statement = _visible(request, pk)
    user = request.user
    try:
        if action == "issue":
            svc.settlement_issue(statement_id=statement.pk, actor=user)
            messages.success(request, _("结算单已下发网点确认"))
        elif action == "approve":
            svc.settlement_approve(statement_id=statement.pk, actor=user)
            messages.success(request, _("结算单已审批，财务可导出付款"))
        elif action == "export":
            svc.settlement_export(statement_id=statement.pk, actor=user)
            messages.success(request, _("已标记为导出付款，请下载 Excel 或 PDF"))
        elif action == "confirm_rest":
            if not perm.may_answer_settlement(user, statement):
                raise PermissionDenied
            n = svc.statement_confirm_rest(statement_id=statement.pk, actor=user)
            messages.success(request, _("已确认 %(n)d 条明细") % {"n": n})
        else:
            form = forms.AdjustmentLineForm(request.POST)
            if not perm.may_manage_settlement(user):
                raise PermissionDenied
            if not form.is_valid():
                return _page(request, statement, add_form=form, status=400)
            try:
                svc.settlement_add_line(statement_id=statement.pk, actor=user, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(exc, form)
                return _page(request, statement, add_form=form, status=400)
            messages.success(request, _("已添加"))
    except TransitionNotAllowed:
        return _conflict(request, statement)
    except ValidationError as exc:
        statement.refresh_from_db()
        messages.error(request, " ".join(exc.messages))
        return _page(request, statement, status=400)
    return redirect(statement.get_absolute_url())


@login_required
@require_POST
def settlement_line_act(request, pk: int, action: str):
    if action not in LINE_ACTIONS:
        raise Http404
    line = get_object_or_404(SettlementLine.objects.visible_to(request.user), pk=pk)
    statement = _visible(request, line.statement_id)
    user = request.user
    try:
        if action == "confirm":
            svc.line_confirm(line_id=line.pk, actor=user)
            messages.success(request, _("已确认该明细"))
        elif action == "dispute":
            form = forms.DisputeForm(request.POST, prefix=f"l{line.pk}")
            if not perm.may_answer_settlement(user, statement):
                raise PermissionDenied
            if not form.is_valid():
                return _page(request, statement, line_forms={line.pk: (form, None)}, status=400)
            svc.line_dispute(line_id=line.pk, actor=user, reason=form.cleaned_data["reason"])
            messages.success(request, _("已提出异议，等待网点专员处理"))
        elif action == "resolve":
            form = forms.ResolveForm(request.POST, prefix=f"r{line.pk}")
            if not perm.may_manage_settlement(user):
                raise PermissionDenied
            if not form.is_valid():
                return _page(request, statement, line_forms={line.pk: (None, form)}, status=400)
            try:
                svc.line_resolve(
                    line_id=line.pk,
                    actor=user,
                    adjust=form.cleaned_data["decision"] == "adjust",
                    amount=form.cleaned_data["amount"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                apply_service_errors(exc, form)
                return _page(request, statement, line_forms={line.pk: (None, form)}, status=400)
            messages.success(request, _("异议已处理"))
        else:
            svc.settlement_remove_line(line_id=line.pk, actor=user)
            messages.success(request, _("已删除"))
    except TransitionNotAllowed:
        return _conflict(request, statement)
    except ValidationError as exc:
        statement.refresh_from_db()
        messages.error(request, " ".join(exc.messages))
        return _page(request, statement, status=400)
    return redirect(statement.get_absolute_url())


@login_required
@require_GET
def settlement_export(request, pk: int, fmt: str):
    statement = _visible(request, pk)
    if statement.state not in EXPORTABLE:
        raise Http404
    name = f"settlement-{statement.point.code}-{statement.month:%Y-%m}"
    if fmt == "xlsx":
        response = HttpResponse(settlement_xlsx(statement), content_type=XLSX_CONTENT_TYPE)
    elif fmt == "pdf":
        response = HttpResponse(settlement_pdf(statement), content_type="application/pdf")
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


# --- fee rules ---------------------------------------------------------------------------------


def _render_rules(request, *, status=200):
    current = request.GET.get("current") == "1"
    return render(
        request,
        "repairs/field/settlement/rules.html",
        {
            "page": keyset_page(sel.fee_rules(current_only=current), request.GET),
            "current": current,
            "may_manage": perm.may_manage_settlement(request.user),
            "today": timezone.localdate(),
        },
        status=status,
    )


@login_required
@require_GET
def fee_rule_list(request):
    if not perm.may_read_fee_rules(request.user):
        raise PermissionDenied
    return _render_rules(request)


@login_required
@require_http_methods(["GET", "POST"])
def fee_rule_new(request):
    if not perm.may_manage_settlement(request.user):
        raise PermissionDenied
    form = forms.FeeRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        replaces = data.pop("replaces")
        try:
            rule = svc.fee_rule_add(actor=request.user, rule=FeeRule(**data), replaces=replaces)
        except ValidationError as exc:
            apply_service_errors(exc, form)
        else:
            messages.success(request, _("已添加费用规则 #%(no)s") % {"no": rule.pk})
            return redirect("repairs:fee_rule_list")
    status = 400 if request.method == "POST" else 200
    return render(request, "repairs/field/settlement/rule_form.html", {"form": form}, status=status)


@login_required
@require_POST
def fee_rule_end(request, pk: int):
    if not perm.may_manage_settlement(request.user):
        raise PermissionDenied
    rule = get_object_or_404(FeeRule, pk=pk)
    form = forms.FeeRuleEndForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写最后有效日期"))
        return _render_rules(request, status=400)
    try:
        svc.fee_rule_end(
            rule_id=rule.pk, actor=request.user, last_day=form.cleaned_data["last_day"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _render_rules(request, status=400)
    messages.success(request, _("规则 #%(no)s 已设置失效日期") % {"no": rule.pk})
    return redirect("repairs:fee_rule_list")
