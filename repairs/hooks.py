"""What repairs answers when another app asks through a platform hook (service_ops.plugins):
who caused a repair a customer is dissatisfied with, and what repairs knows of a caller."""


def callback_responsible(*, subject):
    """Who caused a repair the customer is dissatisfied with (a callback's bad mark): its
    technician and the repair supervisors (the repair team). Other subjects are not repairs' to
    answer: [] lets the asking app fall back to its own rule."""
    from network.choices import Role
    from network.models import OrgUnit

    from .models import RepairOrder

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
    from django.db.models import Q
    from django.db.models.functions import Upper
    from django.utils.translation import gettext as _

    from .models import RepairOrder, ReturnApplication, ReturnLine
    from .models.returns import CONTACT_DIGITS

    if not phone and not serial:
        return []
    apps = ReturnApplication.objects.visible_to(user) if user is not None else None
    apps = apps if apps is not None else ReturnApplication.objects.all()
    of_phone = ReturnApplication.objects.annotate(d=CONTACT_DIGITS).filter(d=phone).values("pk")
    q = Q(pk__in=of_phone) if phone else Q()
    if serial:
        q |= Q(
            pk__in=ReturnLine.objects.annotate(s=Upper("serial_number"))
            .filter(s=serial)
            .values("application_id")
        )
    items = [
        {
            "kind": _("返厂申请"),
            "label": f"{app.contact_name} {app.contact_phone}",
            "number": app.number,
            "state": app.get_state_display(),
            "date": app.created_at.date().isoformat(),
            "url": app.get_absolute_url(),
        }
        for app in apps.filter(q).order_by("-id")[:limit]
    ]
    orders = RepairOrder.objects.visible_to(user) if user is not None else RepairOrder.objects
    q = Q(lot__application_id__in=of_phone) if phone else Q()
    if serial:
        q |= Q(pk__in=RepairOrder.objects.annotate(s=Upper("serial_number")).filter(s=serial))
    items += [
        {
            "kind": _("维修单"),
            "label": f"{order.product_model} {order.serial_number}".strip(),
            "number": order.number,
            "state": order.get_state_display(),
            "date": order.created_at.date().isoformat(),
            "url": order.get_absolute_url(),
        }
        for order in orders.filter(q).order_by("-id")[:limit]
    ]
    return items
