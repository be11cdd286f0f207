"""Pages of the browser shell: my work, the deadline detail, the inbox, the working-day calendar.

Views stay thin: reads come from service_ops.selectors, writes go through the services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from network.selectors import roles_of
from service_ops import selectors
from service_ops.forms import CalendarDayForm, ConfirmYearForm
from service_ops.notifications.services import mark_read, unread_count
from service_ops.workcalendar import clock
from service_ops.workcalendar.services import calendar_seed_year

INBOX_PAGE_SIZE = 20
WEEKDAY_HEADERS = (
    pgettext_lazy("周一", "一"),
    pgettext_lazy("周二", "二"),
    pgettext_lazy("周三", "三"),
    pgettext_lazy("周四", "四"),
    pgettext_lazy("周五", "五"),
    pgettext_lazy("周六", "六"),
    pgettext_lazy("周日", "日"),
)
GROUP_LABELS = {
    selectors.OVERDUE: gettext_lazy("已超期"),
    selectors.DUE_SOON: gettext_lazy("即将到期"),
    selectors.LATER: gettext_lazy("以后到期"),
}
MIN_YEAR, MAX_YEAR = 2000, 2100


@login_required
@require_GET
def my_work(request):
    work = selectors.my_work(request.user)
    show = request.GET.get("show", "")
    if show not in selectors.GROUPS:
        show = ""
    tabs = [(name, GROUP_LABELS[name], work.count(name)) for name in selectors.GROUPS]
    groups = [
        (name, GROUP_LABELS[name], work.groups[name])
        for name in selectors.GROUPS
        if not show or show == name
    ]
    return render(
        request,
        "service_ops/my_work.html",
        {"work": work, "groups": groups, "tabs": tabs, "show": show},
    )


@login_required
@require_GET
def deadline_detail(request, pk: int):
    deadline = get_object_or_404(selectors.deadlines_visible_to(request.user), pk=pk)
    owner_url = selectors.deadline_owner_url(deadline)
    if owner_url:
        return redirect(owner_url)
    selectors.annotate_time_left(deadline, timezone.now())
    return render(
        request,
        "service_ops/deadline_detail.html",
        {"deadline": deadline, "log": selectors.deadline_log(deadline)},
    )


# --- inbox -------------------------------------------------------------------------------------


def _inbox_context(request):
    page = Paginator(selectors.inbox(request.user), INBOX_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return {"page": page, "notifications": page.object_list}


@login_required
@require_GET
def inbox(request):
    return render(request, "service_ops/inbox.html", _inbox_context(request))


@login_required
@require_POST
def inbox_mark_all_read(request):
    marked = mark_read(user=request.user)
    if request.htmx:
        context = _inbox_context(request)
        context["unread_count"] = unread_count(request.user)
        context["oob_bell"] = True
        return render(request, "service_ops/partials/inbox_list.html", context)
    messages.success(request, _("已将 %(n)d 条通知标为已读") % {"n": marked})
    return redirect("inbox")


@login_required
@require_GET
def inbox_open(request, pk: int):
    """Opening a notification marks it read, then follows its link (local links only)."""
    note = selectors.inbox_item(request.user, pk)
    if note is None:
        raise Http404
    if note.read_at is None:
        mark_read(user=request.user, ids=[note.pk])
        note.read_at = timezone.now()
    if note.url and url_has_allowed_host_and_scheme(
        note.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(note.url)
    return render(request, "service_ops/notification_detail.html", {"note": note})


# --- working-day calendar ------------------------------------------------------------------------


def _year_from(request) -> int:
    default = clock.local_date(timezone.now()).year
    try:
        year = int(request.GET.get("year", default))
    except (TypeError, ValueError):
        return default
    return year if MIN_YEAR <= year <= MAX_YEAR else default


def _render_calendar(request, year: int, *, day_form=None, confirm_form=None, status=200):
    if not selectors.is_internal(request.user):
        raise PermissionDenied
    calendar_seed_year(year)  # idempotent: a year is seeded on first sight, as the clock does
    can_edit = selectors.can_edit_calendar(request.user, roles_of(request.user))
    view = selectors.calendar_year_view(year)
    if can_edit:
        day_form = day_form or CalendarDayForm()
        confirm_form = confirm_form or ConfirmYearForm(initial={"year": year})
    return render(
        request,
        "service_ops/calendar.html",
        {
            "view": view,
            "can_edit": can_edit,
            "weekdays": WEEKDAY_HEADERS,
            "day_form": day_form,
            "confirm_form": confirm_form,
            "prev_year": year - 1 if year > MIN_YEAR else None,
            "next_year": year + 1 if year < MAX_YEAR else None,
        },
        status=status,
    )


def _require_calendar_editor(request) -> None:
    if not selectors.can_edit_calendar(request.user):
        raise PermissionDenied


@login_required
@require_GET
def calendar_page(request):
    return _render_calendar(request, _year_from(request))


@login_required
@require_POST
def calendar_set_day(request):
    _require_calendar_editor(request)
    form = CalendarDayForm(request.POST)
    if not form.is_valid():
        return _render_calendar(request, _year_from(request), day_form=form, status=400)
    moved = form.save(actor=request.user)
    day = form.cleaned_data["day"]
    messages.success(
        request,
        _("已调整 %(d)s，重算了 %(n)d 个计时器") % {"d": day.isoformat(), "n": moved},
    )
    return redirect(f"{reverse('calendar')}?year={day.year}")


@login_required
@require_POST
def calendar_confirm(request):
    _require_calendar_editor(request)
    form = ConfirmYearForm(request.POST)
    moved = form.save(actor=request.user) if form.is_valid() else None
    if moved is None:
        year = form.cleaned_data.get("year") if hasattr(form, "cleaned_data") else None
        return _render_calendar(request, year or _year_from(request), confirm_form=form, status=400)
    year = form.cleaned_data["year"]
    messages.success(
        request,
        _("已确认 %(y)d 年放假调休安排，重算了 %(n)d 个计时器") % {"y": year, "n": moved},
    )
    return redirect(f"{reverse('calendar')}?year={year}")
