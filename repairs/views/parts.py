"""The field form for a warranty replacement (issue 19, 保修更换登记): on a phone, the technician
picks the order's issued warranty part, types the faulty part's and the new part's serials, and
says whether the faulty part is handed in now; the line keeps both serials and the faulty part is
owed back (spareparts' FaultyPartReturn, with its due date) unless handed in."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from spareparts.models import FaultyPartReturn

from ..forms.parts import ReplacementForm
from ..models import RepairOrder, RepairPartLine
from ..permissions import is_technician
from ..services import parts as rp


@login_required
@require_http_methods(["GET", "POST"])
def order_replacement(request, pk: int):
    try:
        order = RepairOrder.objects.visible_to(request.user).get(pk=pk)
    except RepairOrder.DoesNotExist as exc:
        raise Http404 from exc
    if not is_technician(request.user):
        raise PermissionDenied
    lines = rp.replacement_lines(order.pk)
    open_lines = [ln for ln in lines if not ln.faulty_serial]
    form = ReplacementForm(request.POST or None, lines=open_lines)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            line = rp.part_line_record_serials(
                line_id=d["line"],
                actor=request.user,
                faulty_serial=d["faulty_serial"],
                new_serial=d["new_serial"],
                handed_in=d["handed_in"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("已登记 %(p)s：旧件 %(f)s → 新件 %(n)s")
                % {"p": line.part.number, "f": line.faulty_serial, "n": line.new_serial},
            )
            return redirect("repairs:order_replacement", pk=order.pk)
    recorded = [ln for ln in lines if ln.faulty_serial]
    returns = {
        r.source_id: r
        for r in FaultyPartReturn.objects.filter(
            source_type=ContentType.objects.get_for_model(RepairPartLine),
            source_id__in=[ln.pk for ln in recorded],
        )
    }
    return render(
        request,
        "repairs/orders/replacement.html",
        {
            "order": order,
            "form": form,
            "open_lines": open_lines,
            "recorded": [(ln, returns.get(ln.pk)) for ln in recorded],
        },
        status=400 if request.method == "POST" else 200,
    )
