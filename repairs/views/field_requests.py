"""Field service's front half on the web (issue 20 items 1–5): the installed base (list, unit
with its timeline, form, the printable QR warranty-card label), service requests (list, new,
detail with dispatches and visits; the dispatcher's auto-dispatch, override and cancel), the
offers a service point or an engineer answers (list, the offer screen: accept / decline), the
appointment form, and the public QR page (/u/<token>/: no login, no personal data, "report a
fault", rate-limited per address and per unit).

Scoped: a record outside the viewer's scope is 404; a step not allowed now 409 (a message and
the page again); bad input 400 with the form's errors."""

from __future__ import annotations

import logging

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_fsm import TransitionNotAllowed

from network.choices import OrgKind
from network.models import OrgUnit
from service_ops.actions import apply_service_errors
from service_ops.paging import keyset_page
from service_ops.transitions.services import log_of

from ..choices import DispatchState, RequestChannel, ServiceCategory, ServiceRequestState
from ..forms import field_requests as f
from ..models import InstalledUnit, ServiceRequest, Visit
from ..permissions import (
    may_answer_offer,
    may_dispatch,
    may_file_service_request,
    may_keep_units,
    may_schedule_visit,
)
from ..selectors import field_requests as sel
from ..services import field_requests as svc

log = logging.getLogger(__name__)
R = ServiceRequestState
D = DispatchState


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


# --- the installed base ------------------------------------------------------------------------


@login_required
@require_GET
def installed_unit_list(request):
    g = request.GET
    filters = {
        "serial": (g.get("serial") or "").strip()[:60],
        "model": (g.get("model") or "").strip()[:60],
        "dealer_id": _int(g.get("dealer")),
        "org_unit_id": _int(g.get("org_unit")),
        "warranty": g.get("warranty") if g.get("warranty") in ("in", "out") else "",
    }
    page = keyset_page(sel.installed_units(request.user, **filters), g)
    visible = OrgUnit.objects.visible_to(request.user).filter(is_active=True).order_by("path")
    return render(
        request,
        "repairs/field/requests/unit_list.html",
        {
            "page": page,
            "filters": filters,
            "dealers": visible.filter(kind=OrgKind.DEALER).only("pk", "name")[:300],
            "owners": visible.filter(kind__in=f.OWNER_KINDS).only("pk", "name")[:300],
            "may_create": may_keep_units(request.user),
            "today": timezone.localdate(),
        },
    )


def _visible_unit(request, pk: int) -> InstalledUnit:
    return get_object_or_404(
        InstalledUnit.objects.visible_to(request.user).select_related("dealer", "org_unit"), pk=pk
    )


@login_required
@require_GET
def installed_unit_detail(request, pk: int):
    unit = _visible_unit(request, pk)
    return render(
        request,
        "repairs/field/requests/unit_detail.html",
        {
            "unit": unit,
            "timeline": sel.unit_timeline(request.user, unit),
            "may_edit": may_keep_units(request.user),
            "may_file": may_file_service_request(request.user),
            "public_url": request.build_absolute_uri(reverse("qr:unit_page", args=[unit.qr_token])),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def installed_unit_edit(request, pk: int | None = None):
    unit = _visible_unit(request, pk) if pk else InstalledUnit()  # out of scope: 404 first
    if not may_keep_units(request.user):
        raise PermissionDenied
    form = f.InstalledUnitForm(request.POST or None, instance=unit, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            saved = svc.installed_unit_save(unit=form.instance, actor=request.user)
        except ValidationError as exc:
            apply_service_errors(exc, form)
        else:
            messages.success(request, _("装机档案 %(sn)s 已保存") % {"sn": saved.serial_number})
            return redirect("repairs:installed_unit_detail", pk=saved.pk)
    return render(
        request,
        "repairs/field/requests/unit_form.html",
        {"form": form, "unit": unit if pk else None},
        status=400 if request.method == "POST" else 200,
    )


def qr_svg(url: str, *, scale: int = 5) -> str:
    """The QR code of `url` as inline SVG markup (segno: pure Python, medium error correction so
    a scuffed card still scans)."""
    return segno.make(url, error="m").svg_inline(scale=scale, border=2)


@login_required
@require_GET
def installed_unit_label(request, pk: int):
    """The printable warranty-card label (保修卡标签): the unit's QR code with its model and
    serial, nothing personal."""
    unit = _visible_unit(request, pk)
    url = request.build_absolute_uri(reverse("qr:unit_page", args=[unit.qr_token]))
    return render(
        request,
        "repairs/field/requests/unit_label.html",
        {"unit": unit, "url": url, "qr": qr_svg(url)},
    )


# --- service requests --------------------------------------------------------------------------


@login_required
@require_GET
def service_request_list(request):
    g = request.GET
    filters = {
        "state": g.get("state") if g.get("state") in R.values else "",
        "category": g.get("category") if g.get("category") in ServiceCategory.values else "",
        "serial": (g.get("serial") or "").strip()[:60],
        "number": (g.get("number") or "").strip()[:24],
    }
    page = keyset_page(sel.service_requests(request.user, **filters), g)
    return render(
        request,
        "repairs/field/requests/request_list.html",
        {
            "page": page,
            "filters": filters,
            "states": R.choices,
            "categories": ServiceCategory.choices,
            "may_file": may_file_service_request(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def service_request_new(request):
    user = request.user
    if not may_file_service_request(user):
        raise PermissionDenied
    initial = {
        key: request.GET[key][:1000]
        for key in (
            "contact_name",
            "contact_phone",
            "product_model",
            "serial_number",
            "description",
            "channel",
        )
        if request.GET.get(key)
    }
    unit = None
    unit_pk = _int(request.GET.get("unit"))
    if unit_pk:
        unit = InstalledUnit.objects.visible_to(user).filter(pk=unit_pk).first()
        if unit is not None:
            initial.update(
                serial_number=unit.serial_number,
                product_model=unit.product_model,
                contact_name=unit.owner_name,
                contact_phone=unit.owner_phone,
                province=unit.province,
                city=unit.city,
                district=unit.district,
                address=unit.address,
            )
    form = f.ServiceRequestForm(request.POST or None, initial=initial, user=user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        serial = data.pop("serial_number")
        found = (
            InstalledUnit.objects.visible_to(user).filter(serial_number=serial).first()
            if serial
            else None
        )
        mine = OrgUnit.objects.filter(pk=getattr(getattr(user, "profile", None), "org_unit_id", 0))
        dealer = mine.filter(kind=OrgKind.DEALER).first()
        try:
            created = svc.request_file(
                actor=user,
                unit=found,
                serial_number=serial,
                dealer=dealer,
                channel=RequestChannel.DEALER if dealer else data.pop("channel"),
                **{k: v for k, v in data.items() if k != "channel"},
            )
        except ValidationError as exc:
            apply_service_errors(exc, form)
        else:
            messages.success(request, _("报修单 %(no)s 已登记") % {"no": created.number})
            return redirect(created.get_absolute_url())
    return render(
        request,
        "repairs/field/requests/request_form.html",
        {"form": form, "call_number": (request.GET.get("call") or "")[:24]},
        status=400 if request.method == "POST" else 200,
    )


def _visible_request(request, pk: int) -> ServiceRequest:
    return get_object_or_404(sel.service_requests(request.user).select_related("unit"), pk=pk)


def _request_page(request, obj, *, override=None, cancel=None, status=200):
    user = request.user
    dispatches, visits = sel.request_history(obj)
    dispatcher = may_dispatch(user)
    open_states = (R.NEW, R.DISPATCHED, R.ACCEPTED, R.ESCALATED)
    return render(
        request,
        "repairs/field/requests/request_detail.html",
        {
            "req": obj,
            "dispatches": dispatches,
            "visits": visits,
            "may_auto": dispatcher and obj.state in (R.NEW, R.ESCALATED),
            "may_override": dispatcher and obj.state in open_states,
            "may_cancel": dispatcher and obj.state in open_states,
            "candidates": sel.dispatch_candidates(obj, exclude_unit_ids=sel.tried_unit_ids(obj))[:5]
            if dispatcher and obj.state in (R.NEW, R.ESCALATED)
            else [],
            "override_form": override or (f.OverrideForm(user=user) if dispatcher else None),
            "cancel_form": cancel or f.ReasonForm(),
            "schedulable": [
                v for v in visits if v.state == "planned" and may_schedule_visit(user, v)
            ],
            "log": log_of(obj),
        },
        status=status,
    )


@login_required
@require_GET
def service_request_detail(request, pk: int):
    return _request_page(request, _visible_request(request, pk))


@login_required
@require_POST
def service_request_act(request, pk: int, action: str):
    if action not in ("dispatch", "override", "cancel"):
        raise Http404
    obj = _visible_request(request, pk)
    user = request.user
    if not may_dispatch(user):
        raise PermissionDenied
    try:
        if action == "dispatch":
            try:
                offer = svc.request_auto_dispatch(request_id=obj.pk, actor=user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return _request_page(request, obj, status=400)
            if offer is None:
                messages.warning(request, _("派单规则未找到可派的网点，请人工派单"))
            else:
                messages.success(request, _("已派给 %(to)s") % {"to": offer.to_unit})
        elif action == "override":
            form = f.OverrideForm(request.POST, user=user)
            if not form.is_valid():
                return _request_page(request, obj, override=form, status=400)
            try:
                offer = svc.request_override(
                    request_id=obj.pk,
                    actor=user,
                    to_unit=form.cleaned_data["to_unit"],
                    to_engineer=form.cleaned_data["to_engineer"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                apply_service_errors(exc, form)
                return _request_page(request, obj, override=form, status=400)
            messages.success(
                request, _("已改派给 %(to)s") % {"to": offer.to_engineer or offer.to_unit}
            )
        else:
            form = f.ReasonForm(request.POST)
            if not form.is_valid():
                return _request_page(request, obj, cancel=form, status=400)
            svc.request_cancel(request_id=obj.pk, actor=user, reason=form.cleaned_data["reason"])
            messages.success(request, _("报修单已取消"))
    except TransitionNotAllowed:
        obj.refresh_from_db()
        messages.error(request, _("报修单的状态已改变，不能执行此操作"))
        return _request_page(request, obj, status=409)
    return redirect(obj.get_absolute_url())


# --- the appointment ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def visit_appointment(request, pk: int):
    # one visibility rule per model: the visit's own (not its request's, which a dealer sees)
    visit = get_object_or_404(
        Visit.objects.visible_to(request.user).select_related("request"), pk=pk
    )
    if not may_schedule_visit(request.user, visit):
        raise PermissionDenied
    initial = {"window_start": visit.window_start, "window_end": visit.window_end}
    form = f.AppointmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            svc.visit_schedule(
                visit_id=visit.pk,
                actor=request.user,
                start=form.cleaned_data["window_start"],
                end=form.cleaned_data["window_end"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_service_errors(exc, form)
        else:
            messages.success(request, _("预约时间已保存"))
            return redirect(visit.request.get_absolute_url())
    return render(
        request,
        "repairs/field/requests/appointment_form.html",
        {"form": form, "visit": visit, "reschedules": visit.reschedules.select_related("actor")},
        status=400 if request.method == "POST" else 200,
    )


# --- offers (派单) to answer -------------------------------------------------------------------


@login_required
@require_GET
def offer_list(request):
    state = request.GET.get("state", D.OFFERED)
    state = state if state in D.values else ""
    page = keyset_page(sel.offers(request.user, state=state), request.GET)
    return render(
        request,
        "repairs/field/requests/offer_list.html",
        {"page": page, "state": state, "states": D.choices},
    )


def _visible_offer(request, pk: int):
    return get_object_or_404(sel.offers(request.user).select_related("request__unit"), pk=pk)


def _offer_page(request, offer, *, accept=None, decline=None, status=200):
    answerable = offer.state == D.OFFERED and may_answer_offer(request.user, offer)
    return render(
        request,
        "repairs/field/requests/offer_detail.html",
        {
            "offer": offer,
            "req": offer.request,
            "answerable": answerable,
            "accept_form": accept or f.AcceptForm(offer=offer),
            "decline_form": decline or f.ReasonForm(),
            "now": timezone.now(),
        },
        status=status,
    )


@login_required
@require_GET
def offer_detail(request, pk: int):
    return _offer_page(request, _visible_offer(request, pk))


@login_required
@require_POST
def offer_act(request, pk: int, action: str):
    if action not in ("accept", "decline"):
        raise Http404
    offer = _visible_offer(request, pk)
    if not may_answer_offer(request.user, offer):
        raise PermissionDenied
    try:
        if action == "accept":
            form = f.AcceptForm(request.POST, offer=offer)
            if not form.is_valid():
                return _offer_page(request, offer, accept=form, status=400)
            try:
                visit = svc.offer_accept(
                    offer_id=offer.pk, actor=request.user, engineer=form.cleaned_data["engineer"]
                )
            except ValidationError as exc:
                apply_service_errors(exc, form)
                return _offer_page(request, offer, accept=form, status=400)
            messages.success(request, _("已接单，请与客户预约上门时间"))
            return redirect("repairs:visit_appointment", pk=visit.pk)
        form = f.ReasonForm(request.POST)
        if not form.is_valid():
            return _offer_page(request, offer, decline=form, status=400)
        svc.offer_decline(offer_id=offer.pk, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("已拒单"))
        return redirect("repairs:offer_list")
    except TransitionNotAllowed:
        offer.refresh_from_db()
        messages.error(request, _("这张派单已答复、超时或已改派"))
        return _offer_page(request, offer, status=409)


# --- the public QR page (no login) -------------------------------------------------------------

# 扫码报修 limits: per client address and per unit, counted over the window from the first try.
QR_WINDOW = 60 * 60
QR_PER_ADDRESS = 5
QR_PER_UNIT = 3


class QrGuard:
    """Fault reports from the QR page counted in the cache per client address and per unit (as
    the login guard counts failures). Past either limit the page answers 429 until the window
    ends. With the cache down it lets reports through (and logs it): a customer's fault report
    matters more than a counter."""

    def __init__(self, request, unit: InstalledUnit):
        address = request.META.get("REMOTE_ADDR") or "?"
        self.keys = {
            f"qr-report:addr:{address}": QR_PER_ADDRESS,
            f"qr-report:unit:{unit.pk}": QR_PER_UNIT,
        }

    def over(self) -> bool:
        try:
            counts = cache.get_many(list(self.keys))
        except Exception as exc:
            log.warning("QR guard skipped: the cache is unreachable (%s)", exc)
            return False
        return any(counts.get(key, 0) >= limit for key, limit in self.keys.items())

    def count(self) -> None:
        try:
            for key in self.keys:
                cache.add(key, 0, QR_WINDOW)
                cache.incr(key)
        except Exception as exc:
            log.warning("QR guard could not count a report (%s)", exc)


def _public_unit(token: str) -> InstalledUnit:
    if not token or len(token) > 32:
        raise Http404
    return get_object_or_404(InstalledUnit.objects.only(*PUBLIC_FIELDS), qr_token=token)


# What the public page may read of a unit: never the owner, phone, address or dealer.
PUBLIC_FIELDS = ("pk", "qr_token", "serial_number", "product_model", "purchase_date",
                 "warranty_months", "org_unit_id", "province", "city", "district")  # fmt: skip


def _public_page(request, unit, form, *, status=200, limited=False):
    return render(
        request,
        "repairs/field/requests/qr_page.html",
        {
            "unit": unit,
            "serial_tail": unit.serial_number[-4:],
            "in_warranty": unit.in_warranty(),
            "warranty_until": unit.warranty_until,
            "form": form,
            "limited": limited,
        },
        status=status,
    )


@csrf_protect
@require_http_methods(["GET", "POST"])
def qr_unit_page(request, token: str):
    unit = _public_unit(token)
    if request.method == "GET":
        return _public_page(request, unit, f.PublicFaultForm())
    guard = QrGuard(request, unit)
    if guard.over():
        return _public_page(
            request, unit, f.PublicFaultForm(request.POST), status=429, limited=True
        )
    guard.count()
    form = f.PublicFaultForm(request.POST)
    if form.is_bot:
        # a bot filled the honeypot: answered like a success, nothing filed
        return redirect("qr:thanks", token=token)
    if not form.is_valid():
        return _public_page(request, unit, form, status=400)
    data = form.cleaned_data
    full = InstalledUnit.objects.get(pk=unit.pk)
    created = svc.request_file(
        channel=RequestChannel.QR,
        category=data["category"],
        contact_name=data["contact_name"],
        contact_phone=data["contact_phone"],
        address=data["address"],
        preferred_time=data["preferred_time"],
        description=data["description"],
        unit=full,
        actor=None,
    )
    request.session["qr_request_number"] = created.number
    return redirect("qr:thanks", token=token)


@require_GET
def qr_thanks(request, token: str):
    unit = _public_unit(token)
    return render(
        request,
        "repairs/field/requests/qr_thanks.html",
        {"unit": unit, "number": request.session.get("qr_request_number", "")},
    )
