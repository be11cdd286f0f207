"""What repairs answers when another app asks through a platform hook (service_ops.plugins):
who caused a repair a customer is dissatisfied with, and what repairs knows of a caller."""

# How many of a caller's newest records each index lookup brings before the visibility filter:
# a number that has rung a thousand times shows its newest visible records among these.
CANDIDATES = 200


def callback_responsible(*, subject):
    """Who caused a repair the customer is dissatisfied with (a callback's bad mark): its
    technician and the repair supervisors (the repair team). Other subjects are not repairs' to
    answer: [] lets the asking app fall back to its own rule."""
    from network.choices import Role
    from network.models import OrgUnit

    from .models import RepairOrder, Visit

    if isinstance(subject, Visit):  # a field visit: its engineer and the request's dispatchers
        from .services.visits import fault_confirmers

        return ([subject.engineer_id] if subject.engineer_id else []) + fault_confirmers(
            subject.request
        )
    if not isinstance(subject, RepairOrder):
        return []
    root = OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()
    return ([subject.technician_id] if subject.technician_id else []) + (
        [(Role.REPAIR_SUPERVISOR, root)] if root else []
    )


def caller_history(*, phone: str = "", serial: str = "", limit: int = 8, user=None, **_ignored):
    """The call centre's desk asks what repairs knows of a caller: return applications by the
    contact's number or a line's serial, repair orders by serial or of those applications; as
    the caller may see them, newest first, `limit` of each. `phone` comes in the call centre's
    normal form (digits, no +86), `serial` upper-cased; either may be empty."""
    from django.db.models.functions import Upper
    from django.utils.translation import gettext as _

    from service_ops.i18n import choice_label

    from .models import RepairOrder, ReturnApplication, ReturnLine
    from .models.returns import CONTACT_DIGITS

    if not phone and not serial:
        return []
    # Each source is found by its own index first (a few ids), and only then narrowed by what the
    # caller may see: OR-ing the subqueries into one filter makes PostgreSQL walk the whole table
    # backwards by id looking for the caller's few rows (2.5 s at a million orders).
    app_ids: set[int] = set()
    if phone:
        app_ids.update(
            ReturnApplication.objects.annotate(d=CONTACT_DIGITS)
            .filter(d=phone)
            .order_by("-id")
            .values_list("pk", flat=True)[:CANDIDATES]
        )
    if serial:
        app_ids.update(
            ReturnLine.objects.annotate(s=Upper("serial_number"))
            .filter(s=serial)
            .order_by("-id")
            .values_list("application_id", flat=True)[:CANDIDATES]
        )
    apps = ReturnApplication.objects.all()
    apps = apps.visible_to(user) if user is not None else apps
    items = [
        {
            "kind": _("返厂申请"),
            "label": f"{app.contact_name} {app.contact_phone}",
            "number": app.number,
            "state": choice_label(app, "state"),
            "date": app.created_at.date().isoformat(),
            "url": app.get_absolute_url(),
        }
        for app in apps.filter(pk__in=app_ids).order_by("-id")[:limit]
    ]
    order_ids: set[int] = set()
    if phone and app_ids:
        order_ids.update(
            RepairOrder.objects.filter(lot__application_id__in=app_ids)
            .order_by("-id")
            .values_list("pk", flat=True)[:CANDIDATES]
        )
    if serial:
        order_ids.update(
            RepairOrder.objects.annotate(s=Upper("serial_number"))
            .filter(s=serial)
            .order_by("-id")
            .values_list("pk", flat=True)[:CANDIDATES]
        )
    orders = RepairOrder.objects.visible_to(user) if user is not None else RepairOrder.objects
    items += [
        {
            "kind": _("维修单"),
            "label": f"{order.product_model} {order.serial_number}".strip(),
            "number": order.number,
            "state": choice_label(order, "state"),
            "date": order.created_at.date().isoformat(),
            "url": order.get_absolute_url(),
        }
        for order in orders.filter(pk__in=order_ids).order_by("-id")[:limit]
    ]
    return items


def serial_timeline(*, serial: str, user, limit: int = 20, **_ignored):
    """Return applications, repair orders, service requests and visits of one serial."""
    return _returns_timeline(serial=serial, user=user, limit=limit) + field_serial_timeline(
        serial=serial, user=user, limit=limit
    )


def _returns_timeline(*, serial: str, user, limit: int = 20):
    """What repairs knows of one serial number, for the per-serial timeline (the `serial_timeline`
    hook): the return applications with a line of that serial and the repair orders of it, as
    the caller may see them, newest first, `limit` of each. `serial` comes upper-cased; each
    source is found by its UPPER(serial_number) index first, then narrowed by visibility."""
    from django.db.models.functions import Upper
    from django.utils.translation import gettext as _

    from .models import RepairOrder, ReturnApplication, ReturnLine

    if not serial or user is None:
        return []
    app_ids = list(
        ReturnLine.objects.annotate(s=Upper("serial_number"))
        .filter(s=serial)
        .order_by("-id")
        .values_list("application_id", flat=True)[:CANDIDATES]
    )
    items = []
    if app_ids:
        apps = ReturnApplication.objects.visible_to(user).filter(pk__in=set(app_ids))
        items += [
            {
                "kind": _("返厂申请"),
                "at": app.created_at,
                "number": app.number,
                "label": app.contact_name,
                "state": app.get_state_display(),
                "url": app.get_absolute_url(),
            }
            for app in apps.order_by("-id")[:limit]
        ]
    order_ids = list(
        RepairOrder.objects.annotate(s=Upper("serial_number"))
        .filter(s=serial)
        .order_by("-id")
        .values_list("pk", flat=True)[:CANDIDATES]
    )
    if order_ids:
        orders = RepairOrder.objects.visible_to(user).filter(pk__in=order_ids)
        items += [
            {
                "kind": _("维修单"),
                "at": order.created_at,
                "number": order.number,
                "label": f"{order.product_model} {order.serial_number}".strip(),
                "state": order.get_state_display(),
                "url": order.get_absolute_url(),
            }
            for order in orders.order_by("-id")[:limit]
        ]
    return items


def parts_stock_arrived(*, part_id: int, warehouse_id: int, actor=None, **_ignored) -> int:
    """Spareparts tells (on commit) that a part arrived in a warehouse: the repair orders' lines
    waiting for it are reserved first come first served, and an order with all its parts leaves
    the waiting-for-parts hold (repairs.services.parts)."""
    from .services.parts import parts_stock_arrived as arrived

    return arrived(part_id=part_id, warehouse_id=warehouse_id, actor=actor)


def service_point_facts(*, unit_ids, start, end, **_ignored):
    """The network's evaluation (考核) asks what field service knows of some service points in
    [start, end): {unit_id: {fact: count}}, each fact a plain count the network scores.

    - dispatches: offers made to the point in the period (withdrawn ones and those still open
      left out); dispatches_accepted_in_time: of them, accepted by respond_by;
    - visits_due: the point's visits whose appointment window ended in the period (cancelled
      ones left out); visits_on_time: of them, checked in by the window's end;
    - callbacks: the requests the point solved in the period whose callback reached the
      customer (satisfied or dissatisfied); callbacks_satisfied: of them, satisfied."""
    from django.db.models import Count, F, Q

    from .choices import CallbackVerdict, DispatchState, VisitState
    from .models import Dispatch, ServiceRequest, Visit

    ids = [int(pk) for pk in unit_ids]
    if not ids:
        return {}
    facts: dict[int, dict[str, int]] = {pk: {} for pk in ids}
    for row in (
        Dispatch.objects.filter(to_unit_id__in=ids, offered_at__gte=start, offered_at__lt=end)
        .exclude(state__in=[DispatchState.WITHDRAWN, DispatchState.OFFERED])
        .values("to_unit_id")
        .annotate(
            n=Count("pk"),
            in_time=Count(
                "pk",
                filter=Q(state=DispatchState.ACCEPTED)
                & (Q(respond_by__isnull=True) | Q(answered_at__lte=F("respond_by"))),
            ),
        )
    ):
        facts[row["to_unit_id"]].update(
            dispatches=row["n"], dispatches_accepted_in_time=row["in_time"]
        )
    for row in (
        Visit.objects.filter(service_unit_id__in=ids, window_end__gte=start, window_end__lt=end)
        .exclude(state=VisitState.CANCELLED)
        .values("service_unit_id")
        .annotate(
            n=Count("pk"),
            on_time=Count("pk", filter=Q(checked_in_at__lte=F("window_end"))),
        )
    ):
        facts[row["service_unit_id"]].update(visits_due=row["n"], visits_on_time=row["on_time"])
    reached = [CallbackVerdict.SATISFIED, CallbackVerdict.DISSATISFIED]
    for row in (
        ServiceRequest.objects.filter(
            assigned_unit_id__in=ids,
            solved_at__gte=start,
            solved_at__lt=end,
            callback_verdict__in=reached,
        )
        .values("assigned_unit_id")
        .annotate(
            n=Count("pk"),
            satisfied=Count("pk", filter=Q(callback_verdict=CallbackVerdict.SATISFIED)),
        )
    ):
        facts[row["assigned_unit_id"]].update(
            callbacks=row["n"], callbacks_satisfied=row["satisfied"]
        )
    return {pk: f for pk, f in facts.items() if f}


def call_actions(*, call, user, **_ignored):
    """The call centre's call page asks what may be done from a call: repairs offers "create a
    service request" (报修), the form prefilled from the call (caller, number, model, serial,
    summary). Only for people who may file one."""
    from urllib.parse import urlencode

    from django.urls import reverse
    from django.utils.translation import gettext as _

    from .permissions import may_file_service_request

    if user is None or not may_file_service_request(user):
        return []
    params = {
        "contact_name": getattr(call, "caller_name", "") or "",
        "contact_phone": getattr(call, "caller_phone", "") or "",
        "product_model": getattr(call, "product_model", "") or "",
        "serial_number": getattr(call, "serial_number", "") or "",
        "description": (getattr(call, "summary", "") or "")[:1000],
        "channel": "call",
        "call": getattr(call, "number", "") or "",
    }
    url = (
        reverse("repairs:service_request_new")
        + "?"
        + urlencode({k: v for k, v in params.items() if v})
    )
    return [{"label": _("创建报修单"), "url": url, "icon": "bi-telephone-inbound"}]


def field_serial_timeline(*, serial: str, user, limit: int = 20, **_ignored):
    """The service requests (报修) and the visits on site of one serial, as the caller may see
    them, for the `serial_timeline` hook (answered from serial_timeline below it)."""
    from django.db.models.functions import Upper
    from django.utils.translation import gettext as _

    from .models import ServiceRequest, Visit

    if not serial or user is None:
        return []
    ids = list(
        ServiceRequest.objects.annotate(s=Upper("serial_number"))
        .filter(s=serial)
        .order_by("-id")
        .values_list("pk", flat=True)[:CANDIDATES]
    )
    if not ids:
        return []
    requests = list(
        ServiceRequest.objects.visible_to(user).filter(pk__in=ids).order_by("-id")[:limit]
    )
    items = [
        {
            "kind": _("报修单"),
            "at": r.created_at,
            "number": r.number,
            "label": f"{r.get_category_display()} {r.get_channel_display()}",
            "state": r.get_state_display(),
            "url": r.get_absolute_url(),
        }
        for r in requests
    ]
    visits = (
        Visit.objects.filter(request_id__in=[r.pk for r in requests])
        .select_related("request", "engineer", "service_unit")
        .order_by("-id")[:limit]
    )
    items += [
        {
            "kind": _("上门服务"),
            "at": v.checked_in_at or v.window_start or v.created_at,
            "number": f"{v.request.number}-{v.sequence}",
            "label": str(v.engineer or v.service_unit or ""),
            "state": v.get_state_display(),
            "url": v.request.get_absolute_url(),
        }
        for v in visits
    ]
    return items


def callback_verdict(*, subject, verdict: str, task=None, **_ignored):
    """The call centre closed a callback (hook `callback_verdict`): for a field visit's callback
    the verdict goes to the visit and its request (repairs.services.visits): satisfied closes
    the request, dissatisfied reopens it, unreached is recorded. Other subjects are not ours."""
    from .models import Visit
    from .services.visits import visit_callback_verdict

    if not isinstance(subject, Visit):
        return None
    comments = getattr(task, "comments", "") or ""
    return visit_callback_verdict(visit=subject, verdict=verdict, comments=comments)
