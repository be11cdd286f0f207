"""The network specialist's pages of registered numbers (登记号码): the numbers field offices and
service points send activation-code queries from. List (keyset pages, filters, search), add,
edit, deactivate and reactivate; every write through callcenter.services.numbers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from service_ops.actions import run_action, safe_next
from service_ops.paging import keyset_page

from ..forms.activation import NumberFilterForm, RegisteredNumberForm
from ..permissions import is_activation_staff
from ..selectors.activation import numbers_visible_to, sender_units_visible_to
from ..services import numbers as services


def _staff_only(request) -> None:
    if not is_activation_staff(request.user):
        raise PermissionDenied


@login_required
@require_GET
def number_list(request):
    _staff_only(request)
    filters = NumberFilterForm(request.GET or None)
    values = filters.values()
    unit = None
    if values["unit"]:
        unit = sender_units_visible_to(request.user).filter(pk=values["unit"]).first()
        if unit is None:
            values["unit"] = None
    page = keyset_page(numbers_visible_to(request.user, **values), request.GET)
    return render(
        request,
        "callcenter/number_list.html",
        {"page": page, "filters": filters, "unit": unit},
    )


def _form_page(request, form, *, number=None, status=200):
    return render(
        request, "callcenter/number_form.html", {"form": form, "number": number}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def number_create(request):
    _staff_only(request)
    initial = {}
    if request.GET.get("unit", "").isdigit():
        initial["org_unit"] = request.GET["unit"]
    form = RegisteredNumberForm(request.POST or None, user=request.user, initial=initial)
    if request.method != "POST":
        return _form_page(request, form)
    return run_action(
        request,
        form,
        lambda data: services.registered_number_create(
            actor=request.user, org_unit=data["org_unit"], phone=data["phone"], note=data["note"]
        ),
        lambda number: reverse("callcenter:number_list") + f"?unit={number.org_unit_id}",
        invalid=lambda form: _form_page(request, form, status=400),
        message=lambda number: (
            _("已登记 %(phone)s（%(unit)s）")
            % {"phone": number.phone, "unit": number.org_unit.name}
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def number_edit(request, pk: int):
    _staff_only(request)
    number = get_object_or_404(numbers_visible_to(request.user), pk=pk)
    initial = {"org_unit": number.org_unit_id, "phone": number.phone, "note": number.note}
    form = RegisteredNumberForm(request.POST or None, user=request.user, initial=initial)
    if request.method != "POST":
        return _form_page(request, form, number=number)
    return run_action(
        request,
        form,
        lambda data: services.registered_number_update(
            actor=request.user,
            number_id=number.pk,
            org_unit=data["org_unit"],
            phone=data["phone"],
            note=data["note"],
        ),
        lambda number: reverse("callcenter:number_list") + f"?unit={number.org_unit_id}",
        invalid=lambda form: _form_page(request, form, number=number, status=400),
        message=lambda number: _("已保存 %(phone)s") % {"phone": number.phone},
    )


def _set_active(request, pk: int, active: bool):
    _staff_only(request)
    number = get_object_or_404(numbers_visible_to(request.user), pk=pk)
    back = safe_next(request, reverse("callcenter:number_list"))
    try:
        number = services.registered_number_set_active(
            actor=request.user, number_id=number.pk, active=active
        )
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return redirect(back)
    if active:
        messages.success(request, _("已启用 %(phone)s") % {"phone": number.phone})
    else:
        messages.success(
            request,
            _("已停用 %(phone)s：该号码发来的查询将按未登记号码处理") % {"phone": number.phone},
        )
    return redirect(back)


@login_required
@require_POST
def number_deactivate(request, pk: int):
    return _set_active(request, pk, False)


@login_required
@require_POST
def number_reactivate(request, pk: int):
    return _set_active(request, pk, True)
