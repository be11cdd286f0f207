"""Pages of the service network: staff directory, org unit list and org unit detail.

Every page is scoped by the one visibility rule (`OrgUnit.objects.visible_to(user)`); a unit outside
the user's scope is a 404."""

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from .choices import PARTNER_KINDS
from .filtersets import OrgUnitFilterSet
from .forms import StaffDirectoryFilterForm
from .models import OrgUnit, PrepaidAccount
from .selectors import staff_directory

PAGE_SIZE = 25
RECENT_ENTRIES = 20

User = get_user_model()


# --- reads of these pages (candidates for network/selectors.py) ----------------------------


def visible_org_units(user):
    return OrgUnit.objects.visible_to(user).select_related("parent").order_by("path")


def unit_staff(unit: OrgUnit):
    return (
        User.objects.filter(is_active=True, profile__org_unit=unit)
        .select_related("profile")
        .prefetch_related("role_assignments__org_unit")
        .order_by("username")
    )


def unit_prepaid(unit: OrgUnit):
    """(account or None, its most recent entries) of a dealer or service point."""
    if unit.kind not in PARTNER_KINDS:
        return None, []
    account = PrepaidAccount.objects.filter(org_unit=unit).first()
    if account is None:
        return None, []
    entries = account.entries.select_related("created_by").order_by("-created_at", "-id")
    return account, list(entries[:RECENT_ENTRIES])


# --- pages ---------------------------------------------------------------------------------------


@login_required
@require_GET
def staff_directory_page(request):
    form = StaffDirectoryFilterForm(request.GET or None, user=request.user)
    people = form.apply(staff_directory(request.user, search=form.search))
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "network/staff_directory.html", {"form": form, "page": page})


@login_required
@require_GET
def org_unit_list(request):
    filterset = OrgUnitFilterSet(
        request.GET or None, queryset=visible_org_units(request.user), request=request
    )
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "network/org_unit_list.html", {"filter": filterset, "page": page})


@login_required
@require_GET
def org_unit_detail(request, pk: int):
    unit = get_object_or_404(visible_org_units(request.user), pk=pk)
    visible = OrgUnit.objects.visible_to(request.user)
    parent = unit.parent if unit.parent_id and visible.filter(pk=unit.parent_id).exists() else None
    account, entries = unit_prepaid(unit)
    return render(
        request,
        "network/org_unit_detail.html",
        {
            "unit": unit,
            "parent": parent,
            "children": visible.filter(parent=unit).order_by("name"),
            "staff": unit_staff(unit),
            "account": account,
            "entries": entries,
            "is_partner_unit": unit.kind in PARTNER_KINDS,
        },
    )
