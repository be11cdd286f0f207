"""Reading product feedback: open feedback by product model (grouped, counted), the keyset list,
one feedback's page, and the feedback a complaint fed. Scoped by
ProductFeedback.objects.visible_to(user)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Min, Q

from service_ops.deadlines.models import Deadline

from ..choices import FeedbackSource, FeedbackState
from ..models import Complaint, ProductFeedback
from ..plugin import FEEDBACK_KIND

F = FeedbackState
MAX_MODELS = 200


def feedback(user):
    return ProductFeedback.objects.visible_to(user).select_related("org_unit")


def open_by_model(user, *, limit: int = MAX_MODELS) -> list[dict]:
    """Open feedback grouped by product model, the model with most open first: how many wait for
    development's reply, how many are answered or being tracked, and since when (one query)."""
    return list(
        ProductFeedback.objects.visible_to(user)
        .open()
        .order_by()
        .values("product_model")
        .annotate(
            total=Count("id"),
            waiting=Count("id", filter=Q(state=F.OPEN)),
            answered=Count("id", filter=Q(state__in=[F.ANSWERED, F.TRACKING])),
            from_repairs=Count("id", filter=Q(source=FeedbackSource.REPAIR_PATTERN)),
            oldest=Min("created_at"),
        )
        .order_by("-total", "product_model")[:limit]
    )


def feedback_list(user, *, state: str = "", model: str = "", source: str = ""):
    qs = feedback(user)
    if state == "open_all":
        qs = qs.open()
    elif state in F.values:
        qs = qs.filter(state=state)
    if model:
        qs = qs.filter(product_model=model)
    if source in FeedbackSource.values:
        qs = qs.filter(source=source)
    return qs


def feedback_for(user, pk: int) -> ProductFeedback | None:
    return feedback(user).select_related("reply_recorded_by", "created_by").filter(pk=pk).first()


def page_parts(user, item: ProductFeedback) -> dict:
    """Beside the record: its tracking notes, the source complaints the reader may open, and its
    reply timers (a constant number of queries)."""
    timers = list(
        Deadline.objects.filter(
            owner_type=ContentType.objects.get_for_model(ProductFeedback),
            owner_id=item.pk,
            kind=FEEDBACK_KIND,
        )
        .exclude(status="cancelled")
        .order_by("started_at", "pk")
    )
    return {
        "notes": list(item.notes.select_related("author")),
        "source_complaints": list(
            Complaint.objects.visible_to(user).filter(feedback=item).order_by("-id")[:50]
        ),
        "timers": timers,
    }


def feedback_of_complaint(user, complaint) -> list[ProductFeedback]:
    return list(feedback(user).filter(complaints=complaint).order_by("-id"))
