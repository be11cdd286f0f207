"""What repairs answers when another app asks through a platform hook (service_ops.plugins)."""


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
