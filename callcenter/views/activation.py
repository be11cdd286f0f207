"""The network specialist's page of recent activation-code queries (激活码查询记录)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from service_ops.paging import keyset_page

from ..choices import ActivationOutcome
from ..permissions import is_activation_staff
from ..selectors.activation import activation_queries_visible_to


@login_required
@require_GET
def activation_query_list(request):
    if not is_activation_staff(request.user):
        raise PermissionDenied
    outcome = request.GET.get("outcome", "")
    if outcome not in ActivationOutcome.values:
        outcome = ""
    page = keyset_page(activation_queries_visible_to(request.user, outcome=outcome), request.GET)
    return render(
        request,
        "callcenter/activation_query_list.html",
        {"page": page, "outcome": outcome, "outcomes": ActivationOutcome.choices},
    )
