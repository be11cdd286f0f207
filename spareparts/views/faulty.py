"""The faulty parts owed back (旧件返还): the list (the parts warehouse's staff see every unit's,
a unit its own) with its filters, and the parts warehouse's receipt and write-off."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_fsm import TransitionNotAllowed

from network.models import OrgUnit
from service_ops.paging import keyset_page

from ..choices import FaultyState
from ..models import FaultyPartReturn
from ..permissions import is_parts_staff
from ..selectors.faulty import faulty_returns
from ..services.faulty import faulty_part_receive, faulty_part_write_off


class FaultyFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=gettext_lazy("状态"),
        required=False,
        choices=[("", gettext_lazy("全部")), *FaultyState.choices],
    )
    unit = forms.ModelChoiceField(
        label=gettext_lazy("返还单位"), queryset=OrgUnit.objects.none(), required=False
    )
    overdue = forms.BooleanField(label=gettext_lazy("只看逾期"), required=False)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units if units is not None else OrgUnit.objects.none()

    def values(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "state": data.get("state") or "",
            "unit_id": data["unit"].pk if data.get("unit") else None,
            "overdue": bool(data.get("overdue")),
        }


class WriteOffForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("核销原因"), max_length=200)


def _units(user):
    """The owing units the filter offers: those of the user's visible records (few)."""
    ids = faulty_returns(user).values("owed_by_unit_id").distinct()
    return OrgUnit.objects.filter(pk__in=ids).order_by("code")


@login_required
@require_GET
def faulty_list(request):
    user = request.user
    filters = FaultyFilterForm(request.GET or None, units=_units(user))
    page = keyset_page(faulty_returns(user, **filters.values()), request.GET)
    return render(
        request,
        "spareparts/faulty_list.html",
        {
            "page": page,
            "filters": filters,
            "today": timezone.localdate(),
            "may_settle": is_parts_staff(user),
            "write_off_form": WriteOffForm(),
        },
    )


def _visible(user, pk: int) -> FaultyPartReturn:
    return get_object_or_404(FaultyPartReturn.objects.visible_to(user), pk=pk)


@login_required
@require_POST
def faulty_receive(request, pk: int):
    record = _visible(request.user, pk)
    if not is_parts_staff(request.user):
        raise PermissionDenied
    try:
        faulty_part_receive(return_id=record.pk, actor=request.user)
    except TransitionNotAllowed:
        messages.error(request, _("该旧件已处理"))
    else:
        messages.success(request, _("已收到旧件 %(s)s") % {"s": record.faulty_serial})
    return redirect("spareparts:faulty_list")


@login_required
@require_POST
def faulty_write_off(request, pk: int):
    record = _visible(request.user, pk)
    if not is_parts_staff(request.user):
        raise PermissionDenied
    form = WriteOffForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写核销原因"))
        return redirect("spareparts:faulty_list")
    try:
        faulty_part_write_off(
            return_id=record.pk, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except TransitionNotAllowed:
        messages.error(request, _("该旧件已处理"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已核销旧件 %(s)s") % {"s": record.faulty_serial})
    return redirect("spareparts:faulty_list")
