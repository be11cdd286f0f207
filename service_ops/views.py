"""Pages of the browser shell: my work, the deadline detail, the inbox, the working-day calendar.

Views stay thin: reads come from service_ops.selectors, writes go through the services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from network.selectors import held_roles
from service_ops import selectors, work
from service_ops.api.robust import api_error_response, is_api
from service_ops.forms import CalendarDayForm, ConfirmYearForm
from service_ops.notifications.services import mark_read, unread_count
from service_ops.paging import keyset_page
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
MIN_YEAR, MAX_YEAR = 2000, 2100


@login_required
@require_GET
def my_work(request):
    """Everything waiting for me, from every app (service_ops.work), overdue first; tabs by
    urgency and by kind of work, a page at a time."""
    mywork = work.work_of(request.user)
    show = request.GET.get("show", "")
    show = show if show in work.GROUPS else ""
    kind = request.GET.get("kind", "")
    kind = kind if kind in {name for name, _label, _n in mywork.kinds} else ""
    page = mywork.page(request.GET.get("page"), group=show, kind=kind)
    return render(
        request,
        "service_ops/my_work.html",
        {
            "work": mywork,
            "page": page,
            "tabs": [(g, work.GROUP_LABELS[g], mywork.count(g)) for g in work.GROUPS],
            "show": show,
            "kind": kind,
            "provisional_years": selectors.calendar_warnings(request.user),
        },
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
    box = request.GET.get("box", "")
    box = box if box in selectors.BOXES else ""
    page = keyset_page(selectors.inbox(request.user, box), request.GET, size=INBOX_PAGE_SIZE)
    return {
        "page": page,
        "notifications": page.object_list,
        "box": box,
        "box_counts": selectors.inbox_counts(request.user),
    }


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
    can_edit = selectors.can_edit_calendar(request.user, held_roles(request.user))
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


# --- error pages -------------------------------------------------------------------------------


def _error_page(request, status: int, template: str, reason: str = ""):
    """Styled in the site's shell and language; says what happened and where to go next."""
    return render(request, template, {"status": status, "reason": reason}, status=status)


def permission_denied(request, exception=None):
    # A service's PermissionDenied carries a reason for the person (e.g. "只有客服部部长可以…").
    reason = str(exception) if exception and str(exception) else ""
    if is_api(request):
        return api_error_response(403, reason or _("您没有执行该操作的权限。"))
    return _error_page(request, 403, "403.html", reason)


def page_not_found(request, exception=None):
    if is_api(request):
        return api_error_response(404, _("未找到。"))
    return _error_page(request, 404, "404.html")


DATABASE_RETRY_AFTER = 5  # seconds: a PostgreSQL restart or fail-over takes a few


def server_error(request):
    """No database, no context processors: the 500 page must render when everything is down.

    The database unreachable (restarting, failing over; or a deadlock) is a 503 with Retry-After,
    not a 500: it is no bug, a retry succeeds once it is back (a POST with its Idempotency-Key
    too), and the HTTP clients integrators use retry 503 where many do not retry a 500 (the
    fault drill restarts PostgreSQL under load)."""
    import sys

    from django.db import InterfaceError, OperationalError
    from django.http import HttpResponseServerError
    from django.template import loader

    unavailable = isinstance(sys.exc_info()[1], OperationalError | InterfaceError)
    if is_api(request):
        if unavailable:
            response = api_error_response(503, _("服务暂时不可用，请稍后重试。"))
        else:
            return api_error_response(500, _("服务器内部错误，已记录。请稍后重试。"))
    else:
        response = HttpResponseServerError(
            loader.get_template("500.html").render({"request": request})
        )
        if not unavailable:
            return response
        response.status_code = 503
    response["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response
