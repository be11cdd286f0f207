"""The year-end ranking of returned units (provinces and branches) and its export."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..exports import XLSX_CONTENT_TYPE, ranking_workbook
from ..forms import returns as f
from ..models import ReturnPolicy
from ..permissions import may_see_ranking
from ..selectors.returns import year_end_ranking

# --- year-end ranking -----------------------------------------------------------------------


def _ranking_year(request) -> int:
    return f.YearForm(request.GET).year_or(f.this_year())


def _require_ranking(user):
    if not may_see_ranking(user):
        raise PermissionDenied


def _chart(rows) -> dict:
    return {
        "names": [row.unit.name for row in rows],
        "units": [row.units for row in rows],
        "flagged": [row.flagged for row in rows],
    }


@login_required
@require_GET
def ranking(request):
    _require_ranking(request.user)
    year = _ranking_year(request)
    data = year_end_ranking(year)
    policy = ReturnPolicy.current()
    this_year = f.this_year()
    return render(
        request,
        "repairs/ranking.html",
        {
            "year": year,
            "years": list(range(this_year, this_year - 6, -1)),
            "provinces": data["provinces"],
            "branches": data["branches"],
            "province_top": policy.province_ranking_top,
            "branch_top": policy.branch_ranking_top,
            "chart": {"provinces": _chart(data["provinces"]), "branches": _chart(data["branches"])},
            "as_of": data["as_of"],
        },
    )


@login_required
@require_GET
def ranking_export(request):
    _require_ranking(request.user)
    year = _ranking_year(request)
    content = ranking_workbook(year, year_end_ranking(year))
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="return-ranking-{year}.xlsx"'
    return response
