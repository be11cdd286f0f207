"""Pages of the service network: staff directory, org unit list and org unit detail.

Every page is scoped by the one visibility rule (`OrgUnit.objects.visible_to(user)`); a unit outside
the user's scope is a 404."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from service_ops.audit.services import display_rows
from service_ops.paging import keyset_page
from service_ops.selectors import is_internal

from .choices import PARTNER_KINDS
from .filtersets import OrgUnitFilterSet
from .forms import StaffDirectoryFilterForm
from .selectors import (
    staff_directory,
    unit_changes,
    unit_prepaid,
    unit_staff,
    visible_org_units,
)

PAGE_SIZE = 25
# keyset pages in the lists' own order (service_ops.paging): the tree's order for units, the
# unit's place in the tree then the account for people
DIRECTORY_ORDER = ("profile__org_unit__path", "username")
UNIT_ORDER = ("path",)


# --- pages ---------------------------------------------------------------------------------------


@login_required
@require_GET
def staff_directory_page(request):
    form = StaffDirectoryFilterForm(request.GET or None, user=request.user)
    people = form.apply(staff_directory(request.user, search=form.search))
    page = keyset_page(people, request.GET, size=PAGE_SIZE, order=DIRECTORY_ORDER)
    return render(request, "network/staff_directory.html", {"form": form, "page": page})


@login_required
@require_GET
def org_unit_list(request):
    filterset = OrgUnitFilterSet(
        request.GET or None, queryset=visible_org_units(request.user), request=request
    )
    page = keyset_page(filterset.qs, request.GET, size=PAGE_SIZE, order=UNIT_ORDER)
    return render(request, "network/org_unit_list.html", {"filter": filterset, "page": page})


@login_required
@require_GET
def org_unit_detail(request, pk: int):
    unit = get_object_or_404(visible_org_units(request.user), pk=pk)
    visible = visible_org_units(request.user)
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
            # 变更记录: company people only (a partner does not read who at the factory edited
            # its record)
            "audit_rows": display_rows(unit_changes(unit)) if is_internal(request.user) else None,
        },
    )
