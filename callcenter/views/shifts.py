"""The shift pages (排班): the month roster (desktop), my shifts (phone), leave, swaps and the
hand-over log. Thin: scope, permission, form, service."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from service_ops.actions import NOT_ALLOWED, not_allowed, run_action, safe_next
from service_ops.paging import keyset_page
from service_ops.transitions.services import available_actions
from service_ops.workcalendar import clock
from service_ops.workcalendar.clock import add_months

from ..forms import shifts as f
from ..models.shifts import HandOverState, LeaveState, ShiftGroup, SwapState
from ..selectors import shifts as sel
from ..services import shifts as svc


def _call_centre(request) -> None:
    if not sel.is_call_centre(request.user):
        raise PermissionDenied


def _today() -> date:
    return clock.local_date(timezone.now())


# --- the roster ----------------------------------------------------------------------------------


@login_required
@require_GET
def roster(request):
    _call_centre(request)
    today = _today()
    month = sel.month_of(request.GET.get("month"), today)
    groups = list(ShiftGroup.objects.filter(is_active=True).select_related("lead"))
    group = next((g for g in groups if g.code == request.GET.get("group")), None)
    grid = sel.month_grid(month, group=group)
    return render(
        request,
        "callcenter/shifts/roster.html",
        {
            "grid": grid,
            "month": month,
            "previous": add_months(month, -1),
            "next": add_months(month, 1),
            "groups": groups,
            "group": group,
            "group_choices": [(g.code, str(g)) for g in groups],
            "today": today,
            "may_edit": sel.may_edit_roster(request.user),
        },
    )


@login_required
@require_POST
def roster_generate(request):
    if not sel.may_edit_roster(request.user):
        raise PermissionDenied
    form = f.MonthForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择月份"))
        return redirect("callcenter:roster")
    month = form.cleaned_data["month"]
    made = svc.roster_generate(month=month, actor=request.user)
    messages.success(
        request,
        _("%(m)s 排班已按轮班规律生成：新增 %(n)d 个班次")
        % {"m": month.strftime("%Y-%m"), "n": made},
    )
    return redirect(f"{reverse('callcenter:roster')}?month={month:%Y-%m}")


@login_required
@require_http_methods(["GET", "POST"])
def roster_day(request):
    """One day of the roster: who works, and the lead's changes (put on / take off)."""
    _call_centre(request)
    try:
        day = date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = _today()
    may_edit = sel.may_edit_roster(request.user)
    form = f.RosterDayForm(request.POST or None)
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied

        def invalid(form):
            return _render_day(request, day, form, may_edit, status=400)

        return run_action(
            request,
            form,
            lambda data: svc.roster_set_day(
                actor=request.user,
                day=day,
                agent=data["agent"],
                working=data["working"],
                starts=data.get("starts"),
                ends=data.get("ends"),
            ),
            f"{reverse('callcenter:roster_day')}?date={day.isoformat()}",
            invalid=invalid,
            message=_("排班已调整"),
        )
    return _render_day(request, day, form, may_edit)


def _render_day(request, day, form, may_edit, status=200):
    return render(
        request,
        "callcenter/shifts/roster_day.html",
        {
            "day": day,
            "entries": sel.day_entries(day),
            "form": form if may_edit else None,
            "holiday": svc.is_public_holiday(day),
            "editable": day >= _today(),
        },
        status=status,
    )


@login_required
@require_GET
def my_shifts(request):
    _call_centre(request)
    today = _today()
    return render(
        request,
        "callcenter/shifts/my_shifts.html",
        {
            "entries": sel.my_shifts(request.user, today=today),
            "today": today,
            "now": timezone.now(),
            "group": sel.group_of(request.user),
            "swaps": sel.swaps_visible_to(request.user, mine=True).filter(
                state__in=(SwapState.PROPOSED, SwapState.AGREED)
            )[:10],
            "leaves": sel.leave_requests_visible_to(request.user, mine=True).filter(
                state=LeaveState.SUBMITTED
            )[:10],
        },
    )


# --- leave -------------------------------------------------------------------------------------


@login_required
@require_GET
def leave_list(request):
    _call_centre(request)
    state = request.GET.get("state", "")
    mine = request.GET.get("mine") == "1"
    page = keyset_page(
        sel.leave_requests_visible_to(request.user, state=state, mine=mine), request.GET
    )
    return render(
        request,
        "callcenter/shifts/leave_list.html",
        {"page": page, "state": state, "states": LeaveState.choices},
    )


@login_required
@require_http_methods(["GET", "POST"])
def leave_new(request):
    _call_centre(request)
    initial = {}
    if request.GET.get("date"):
        initial = {"first_day": request.GET["date"], "last_day": request.GET["date"]}
    form = f.LeaveForm(request.POST or None, initial=initial)
    if request.method == "POST":
        return run_action(
            request,
            form,
            lambda data: svc.leave_submit(
                actor=request.user,
                kind=data["kind"],
                first_day=data["first_day"],
                last_day=data["last_day"],
                reason=data["reason"],
            ),
            lambda leave: leave.get_absolute_url(),
            invalid=lambda form: render(
                request, "callcenter/shifts/leave_form.html", {"form": form}, status=400
            ),
            message=lambda leave: _("请假申请已提交：%(no)s，等待组长批准") % {"no": leave.number},
        )
    return render(request, "callcenter/shifts/leave_form.html", {"form": form})


@login_required
@require_GET
def leave_detail(request, pk: int):
    leave = get_object_or_404(sel.leave_requests_visible_to(request.user), pk=pk)
    return _render_leave(request, leave)


def _render_leave(request, leave, form=None, status=200):
    actions = set(available_actions(leave, request.user))
    return render(
        request,
        "callcenter/shifts/leave_detail.html",
        {
            "leave": leave,
            "actions": actions,
            "form": form or f.NoteForm(),
            "entries": leave.entries.order_by("day") if leave.state == LeaveState.APPROVED else (),
        },
        status=status,
    )


LEAVE_ACTIONS = {
    "approve": (svc.leave_approve, True),
    "refuse": (svc.leave_refuse, True),
    "cancel": (svc.leave_cancel, False),
}


@login_required
@require_POST
def leave_act(request, pk: int, action: str):
    if action not in LEAVE_ACTIONS:
        raise Http404
    leave = get_object_or_404(sel.leave_requests_visible_to(request.user), pk=pk)
    service, with_note = LEAVE_ACTIONS[action]
    if action not in available_actions(leave, request.user):
        if action in available_actions(leave):
            raise PermissionDenied
        return not_allowed(request, leave.get_absolute_url())

    def call(data):
        kwargs = {"leave_id": leave.pk, "actor": request.user}
        if with_note:
            kwargs["note"] = data.get("note", "")
        return service(**kwargs)

    return run_action(
        request,
        f.NoteForm(request.POST),
        call,
        safe_next(request, leave.get_absolute_url()),
        invalid=lambda form: _render_leave(request, leave, form, status=400),
        not_allowed_url=leave.get_absolute_url(),
        message=_("已处理：%(no)s") % {"no": leave.number},
    )


# --- swaps -------------------------------------------------------------------------------------


@login_required
@require_GET
def swap_list(request):
    _call_centre(request)
    state = request.GET.get("state", "")
    mine = request.GET.get("mine") == "1"
    page = keyset_page(sel.swaps_visible_to(request.user, state=state, mine=mine), request.GET)
    return render(
        request,
        "callcenter/shifts/swap_list.html",
        {"page": page, "state": state, "states": SwapState.choices},
    )


@login_required
@require_http_methods(["GET", "POST"])
def swap_new(request):
    _call_centre(request)
    initial = {}
    if request.GET.get("entry", "").isdigit():
        initial["requester_entry"] = int(request.GET["entry"])
    form = f.SwapForm(request.POST or None, user=request.user, initial=initial)

    def render_form(form, status=200):
        return render(request, "callcenter/shifts/swap_form.html", {"form": form}, status=status)

    if request.method == "POST":
        return run_action(
            request,
            form,
            lambda data: svc.swap_propose(
                actor=request.user,
                requester_entry=data["requester_entry"],
                partner_entry=data["partner_entry"],
                reason=data.get("reason", ""),
            ),
            lambda swap: swap.get_absolute_url(),
            invalid=lambda form: render_form(form, 400),
            message=lambda swap: _("换班申请已发给对方：%(no)s") % {"no": swap.number},
        )
    return render_form(form)


@login_required
@require_GET
def swap_detail(request, pk: int):
    swap = get_object_or_404(sel.swaps_visible_to(request.user), pk=pk)
    return _render_swap(request, swap)


def _render_swap(request, swap, form=None, status=200):
    from ..services.shifts import swaps_in_month

    counts = swaps_in_month([swap.requester_id, swap.partner_id], swap.month)
    return render(
        request,
        "callcenter/shifts/swap_detail.html",
        {
            "swap": swap,
            "actions": set(available_actions(swap, request.user)),
            "form": form or f.NoteForm(),
            "requester_count": counts[swap.requester_id],
            "partner_count": counts[swap.partner_id],
            "entries": (swap.requester_entry, swap.partner_entry),
        },
        status=status,
    )


SWAP_ACTIONS = {
    "agree": (svc.swap_agree, False),
    "decline": (svc.swap_decline, False),
    "cancel": (svc.swap_cancel, False),
    "approve": (svc.swap_approve, True),
    "refuse": (svc.swap_refuse, True),
}


@login_required
@require_POST
def swap_act(request, pk: int, action: str):
    if action not in SWAP_ACTIONS:
        raise Http404
    swap = get_object_or_404(sel.swaps_visible_to(request.user), pk=pk)
    if action not in available_actions(swap, request.user):
        if action in available_actions(swap):
            raise PermissionDenied
        return not_allowed(request, swap.get_absolute_url())
    service, with_note = SWAP_ACTIONS[action]

    def call(data):
        kwargs = {"swap_id": swap.pk, "actor": request.user}
        if with_note:
            kwargs["note"] = data.get("note", "")
        return service(**kwargs)

    def invalid(form):
        return _render_swap(request, swap, form, status=400)

    return run_action(
        request,
        f.NoteForm(request.POST),
        call,
        safe_next(request, swap.get_absolute_url()),
        invalid=invalid,
        not_allowed_url=swap.get_absolute_url(),
        message=_("已处理：%(no)s") % {"no": swap.number},
    )


# --- hand-over -----------------------------------------------------------------------------------


@login_required
@require_GET
def handover_list(request):
    _call_centre(request)
    state = request.GET.get("state", "")
    page = keyset_page(sel.handovers_visible_to(request.user, state=state), request.GET)
    return render(
        request,
        "callcenter/shifts/handover_list.html",
        {"page": page, "state": state, "states": HandOverState.choices},
    )


@login_required
@require_http_methods(["GET", "POST"])
def handover_new(request):
    _call_centre(request)
    form = f.HandOverForm(request.POST or None)
    if request.method == "POST":
        return run_action(
            request,
            form,
            lambda data: svc.handover_write(actor=request.user, **data),
            lambda h: h.get_absolute_url(),
            invalid=lambda form: render(
                request, "callcenter/shifts/handover_form.html", {"form": form}, status=400
            ),
            message=lambda h: _("交接班记录已保存：%(no)s") % {"no": h.number},
        )
    return render(request, "callcenter/shifts/handover_form.html", {"form": form})


@login_required
@require_GET
def handover_detail(request, pk: int):
    handover = get_object_or_404(sel.handovers_visible_to(request.user), pk=pk)
    return render(
        request,
        "callcenter/shifts/handover_detail.html",
        {"handover": handover, "actions": set(available_actions(handover, request.user))},
    )


@login_required
@require_POST
def handover_acknowledge(request, pk: int):
    handover = get_object_or_404(sel.handovers_visible_to(request.user), pk=pk)
    url = handover.get_absolute_url()
    if "acknowledge" not in available_actions(handover, request.user):
        if "acknowledge" in available_actions(handover):
            raise PermissionDenied
        return not_allowed(request, url)
    try:
        svc.handover_acknowledge(handover_id=handover.pk, actor=request.user)
    except NOT_ALLOWED:  # acknowledged by someone else meanwhile
        return not_allowed(request, url)
    messages.success(request, _("已确认接班：%(no)s") % {"no": handover.number})
    return redirect(safe_next(request, url))
