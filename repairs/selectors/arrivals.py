"""Reads of unauthorised arrivals and their penalties."""

from ..models import Penalty, UnauthorisedArrival


def visible_arrivals(user):
    return UnauthorisedArrival.objects.visible_to(user).select_related(
        "shipper_unit", "branch", "recorded_by"
    )


def visible_penalties(user):
    return Penalty.objects.visible_to(user).select_related(
        "arrival", "person", "org_unit", "decided_by"
    )
