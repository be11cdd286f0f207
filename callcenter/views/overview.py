"""The call-centre overview (呼叫中心概览): the panels of callcenter.selectors.overview, for the
team lead, supervisors and the head of customer service."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ..permissions import may_assign_callbacks
from ..selectors.overview import overview


@login_required
@require_GET
def callcenter_overview(request):
    if not may_assign_callbacks(user=request.user):
        raise PermissionDenied
    now = timezone.now()
    panels = overview(request.user, now)
    charts = {p["template"].rsplit("/", 1)[-1]: p["chart"] for p in panels if p.get("chart")}
    return render(
        request,
        "callcenter/overview/overview.html",
        {"panels": panels, "now": now, "charts": charts},
    )
