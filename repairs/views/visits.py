"""The visit screens, made for a phone first (390 px): the worker's visits (today and overdue,
upcoming, finished) and the visit page where everything on site happens — check-in with the
browser's location, photos (uploaded one by one by the page's script with their progress, each
shown as done or failed with a retry; a plain form post without script), diagnosis, work report
and distance, parts from the worker's stock, the customer's signature drawn on a canvas, and
finishing solved or not. The service record PDF (服务记录单) and the dispatcher's fault
confirmation of an escalated request.

Reads through selectors/visits.py (out of scope → 404); writes through services/visits.py: a
ValidationError re-renders the page with the errors on the form (400), a step the state no
longer allows says so and redirects (409 to scripts), PermissionDenied is a 403."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from service_ops.actions import NOT_ALLOWED, not_allowed_text, run_action, service_errors
from service_ops.files import stored_file_response

from ..choices import PhotoKind, ServiceRequestState, VisitState
from ..forms import visits as vf
from ..models import ServiceRequest, Visit, VisitPart, VisitPhoto
from ..permissions import may_confirm_fault, works_visit
from ..selectors import visits as sel
from ..services import visits as vs
from ..visit_record import visit_record_pdf

TAB_LABELS = {
    "today": gettext_lazy("今日及逾期"),
    "upcoming": gettext_lazy("待上门"),
    "finished": gettext_lazy("已完成"),
}


def _visit(user, pk: int) -> Visit:
    try:
        return sel.visit_for(user, pk)
    except Visit.DoesNotExist as exc:
        raise Http404 from exc


def _worker_visit(user, pk: int) -> Visit:
    visit = _visit(user, pk)
    if not works_visit(user, visit):
        raise PermissionDenied
    return visit


# --- the worker's list --------------------------------------------------------------------------


@login_required
@require_GET
def visit_list(request):
    tab = request.GET.get("tab", "today")
    tab = tab if tab in sel.TABS else "today"
    page = sel.visit_list_page(request.user, tab, request.GET)
    tabs = [(key, TAB_LABELS[key]) for key in sel.TABS]
    return render(
        request, "repairs/field/visits/visit_list.html", {"page": page, "tab": tab, "tabs": tabs}
    )


# --- the visit page -----------------------------------------------------------------------------


def _forms(visit: Visit, bound: dict | None = None) -> dict:
    """The page's forms, fresh or (the one that failed) bound with what was typed."""
    warehouse, balances = (None, [])
    if visit.state == VisitState.CHECKED_IN:
        warehouse, balances = sel.stock_choices(visit)
    forms = {
        "check_in": vf.CheckInForm(),
        "report": vf.ReportForm(
            initial={
                "diagnosis": visit.diagnosis,
                "work_report": visit.work_report,
                "distance_km": visit.distance_km,
            }
        ),
        "part": vf.PartForm(balances=balances),
        "signature": vf.SignatureForm(),
        "incomplete": vf.FinishIncompleteForm(),
        "warehouse": warehouse,
    }
    forms.update(bound or {})
    return forms


def _render_visit(request, visit: Visit, *, bound: dict | None = None, status: int = 200):
    page = sel.visit_page(visit, request.user)
    return render(
        request,
        "repairs/field/visits/visit_detail.html",
        {
            "visit": visit,
            "page": page,
            "forms": _forms(visit, bound) if page.may_work else {},
            "photo_kinds": PhotoKind.choices,
            "error_count": sum(len(f.errors) for f in (bound or {}).values()),
        },
        status=status,
    )


@login_required
@require_GET
def visit_detail(request, pk: int):
    return _render_visit(request, _visit(request.user, pk))


def _act(request, pk: int, name: str, form, call, done: str):
    """One step of the visit page through run_action: errors back onto the form and the page
    (400), success a message and the page again (at the step's section)."""
    visit = _worker_visit(request.user, pk)
    url = visit.get_absolute_url()
    return run_action(
        request,
        form,
        call,
        f"{url}#{name}",
        invalid=lambda bound: _render_visit(request, visit, bound={name: bound}, status=400),
        message=done,
        not_allowed_url=url,
    )


@login_required
@require_POST
def visit_check_in(request, pk: int):
    form = vf.CheckInForm(request.POST)
    return _act(
        request,
        pk,
        "check_in",
        form,
        lambda d: vs.visit_check_in(
            visit_id=pk,
            actor=request.user,
            latitude=d.get("latitude"),
            longitude=d.get("longitude"),
            accuracy_m=d.get("accuracy_m"),
            location_unavailable_reason=d.get("location_unavailable_reason") or "",
        ),
        _("已签到"),
    )


@login_required
@require_POST
def visit_report(request, pk: int):
    form = vf.ReportForm(request.POST)
    return _act(
        request,
        pk,
        "report",
        form,
        lambda d: vs.visit_record(
            visit_id=pk,
            actor=request.user,
            diagnosis=d.get("diagnosis", ""),
            work_report=d.get("work_report", ""),
            distance_km=d.get("distance_km") if d.get("distance_km") is not None else "",
        ),
        _("已保存"),
    )


@login_required
@require_POST
def visit_part_add(request, pk: int):
    visit = _worker_visit(request.user, pk)
    _warehouse, balances = sel.stock_choices(visit)
    form = vf.PartForm(request.POST, balances=balances)
    return _act(
        request,
        pk,
        "part",
        form,
        lambda d: vs.visit_add_part(
            visit_id=pk, actor=request.user, part=form.part, quantity=d["quantity"]
        ),
        _("已添加用料"),
    )


@login_required
@require_POST
def visit_part_remove(request, pk: int, line_pk: int):
    visit = _worker_visit(request.user, pk)
    if not VisitPart.objects.filter(pk=line_pk, visit=visit).exists():
        raise Http404
    try:
        vs.visit_remove_part(line_id=line_pk, actor=request.user)
    except NOT_ALLOWED:
        messages.error(request, not_allowed_text())
    else:
        messages.success(request, _("已删除用料，预留已释放"))
    return redirect(f"{visit.get_absolute_url()}#parts")


@login_required
@require_POST
def visit_sign(request, pk: int):
    form = vf.SignatureForm(request.POST)
    return _act(
        request,
        pk,
        "signature",
        form,
        lambda d: vs.visit_sign(
            visit_id=pk,
            actor=request.user,
            signature=d.get("signature") or None,
            stand_in=d.get("stand_in", False),
            signer_name=d.get("signer_name", ""),
        ),
        _("客户已签字"),
    )


@login_required
@require_POST
def visit_finish(request, pk: int):
    solved = request.POST.get("solved") == "1"
    form = vf.FinishSolvedForm(request.POST) if solved else vf.FinishIncompleteForm(request.POST)
    name = "finish" if solved else "incomplete"
    visit = _worker_visit(request.user, pk)
    if visit.state == VisitState.PLANNED:
        messages.error(request, _("请先到达签到，再完成上门"))
        return redirect(visit.get_absolute_url())
    return _act(
        request,
        pk,
        name,
        form,
        lambda d: vs.visit_finish(
            visit_id=pk,
            actor=request.user,
            solved=solved,
            incomplete_reason=d.get("incomplete_reason", ""),
        ),
        _("上门服务已完成，报修单已解决，回访已安排")
        if solved
        else _("已提交未解决，报修单已升级，派单员将确认故障并重新派单"),
    )


# --- photos: uploaded by the page's script one at a time (JSON), or by a plain form post --------


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_POST
def visit_photo_upload(request, pk: int):
    visit = _worker_visit(request.user, pk)
    form = vf.PhotoForm(request.POST, request.FILES)
    as_json = _wants_json(request)
    if form.is_valid():
        try:
            photo, _created = vs.visit_add_photo(
                visit_id=visit.pk,
                actor=request.user,
                kind=form.cleaned_data["kind"],
                file=form.cleaned_data["file"],
                upload_key=form.cleaned_data.get("upload_key") or "",
            )
        except ValidationError as exc:
            errors = service_errors(exc)
        except NOT_ALLOWED:
            if as_json:
                return JsonResponse({"errors": {"__all__": [not_allowed_text()]}}, status=409)
            messages.error(request, not_allowed_text())
            return redirect(visit.get_absolute_url())
        else:
            if as_json:
                return JsonResponse(
                    {
                        "id": photo.pk,
                        "kind": photo.kind,
                        "kind_label": str(PhotoKind(photo.kind).label),
                        "url": reverse("repairs:visit_photo", args=[visit.pk, photo.pk]),
                    },
                    status=201,
                )
            messages.success(request, _("照片已上传"))
            return redirect(f"{visit.get_absolute_url()}#photos")
    else:
        errors = {k: [str(m) for m in v] for k, v in form.errors.items()}
    if as_json:
        return JsonResponse({"errors": errors}, status=400)
    for texts in errors.values():
        for text in texts:
            messages.error(request, text)
    return redirect(f"{visit.get_absolute_url()}#photos")


@login_required
@require_POST
def visit_photo_delete(request, pk: int, photo_pk: int):
    visit = _worker_visit(request.user, pk)
    if not VisitPhoto.objects.filter(pk=photo_pk, visit=visit).exists():
        raise Http404
    try:
        vs.visit_delete_photo(photo_id=photo_pk, actor=request.user)
    except NOT_ALLOWED:
        messages.error(request, not_allowed_text())
    else:
        messages.success(request, _("照片已删除"))
    return redirect(f"{visit.get_absolute_url()}#photos")


@login_required
@require_GET
def visit_photo(request, pk: int, photo_pk: int):
    visit = _visit(request.user, pk)
    photo = VisitPhoto.objects.filter(pk=photo_pk, visit=visit).first()
    if photo is None:
        raise Http404
    return stored_file_response(photo.file)


@login_required
@require_GET
def visit_signature(request, pk: int):
    return stored_file_response(_visit(request.user, pk).signature)


@login_required
@require_GET
def visit_record(request, pk: int):
    """服务记录单 (PDF), downloadable once the visit is on site."""
    visit = _visit(request.user, pk)
    if visit.state == VisitState.PLANNED:
        raise Http404
    response = HttpResponse(visit_record_pdf(visit), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="{visit.request.number}-{visit.sequence}.pdf"'
    )
    return response


# --- the dispatcher's fault confirmation ------------------------------------------------


@login_required
def request_fault(request, pk: int):
    """An escalated request: what happened on its visits and the confirmed fault (故障确认)."""
    try:
        service_request = sel.request_for(request.user, pk)
    except ServiceRequest.DoesNotExist as exc:
        raise Http404 from exc
    may_confirm = may_confirm_fault(request.user, service_request)
    form = vf.ConfirmFaultForm(
        request.POST or None, initial={"fault_confirmed": service_request.fault_confirmed}
    )
    if request.method == "POST":
        if not may_confirm:
            raise PermissionDenied
        return run_action(
            request,
            form,
            lambda d: vs.request_confirm_fault(
                request_id=pk, actor=request.user, text=d["fault_confirmed"]
            ),
            reverse("repairs:request_fault", args=[pk]),
            invalid=lambda bound: _render_fault(request, service_request, bound, may_confirm, 400),
            message=_("已确认故障，可以重新派单"),
        )
    return _render_fault(request, service_request, form, may_confirm)


def _render_fault(request, service_request, form, may_confirm, status=200):
    visits = list(
        Visit.objects.visible_to(request.user)
        .filter(request=service_request)
        .select_related("engineer", "service_unit")
        .order_by("sequence")
    )
    return render(
        request,
        "repairs/field/visits/request_fault.html",
        {
            "service_request": service_request,
            "visits": visits,
            "form": form,
            "may_confirm": may_confirm and service_request.state == ServiceRequestState.ESCALATED,
        },
        status=status,
    )
