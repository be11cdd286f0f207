"""Reads of the network's life, each scoped by the one visibility rule, and the 我的工作
providers (applications to review, documents expiring, evaluations to confirm)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from service_ops.reversing import reverse_id
from service_ops.work import WorkItem

from ..choices import OrgKind
from ..models import OrgUnit, ServiceArea, ServicePointProfile
from ..selectors import unit_prepaid
from . import permissions as perms
from .choices import ApplicationState, DocumentKind, EvaluationState
from .models import (
    GpsQualificationDecision,
    GradeChange,
    LifeRules,
    PointApplication,
    PointEvaluation,
    QualificationDocument,
    TrainingAttendee,
    TrainingSession,
)

# --- points --------------------------------------------------------------------------------------


def points_visible_to(
    user,
    *,
    grade: str = "",
    status: str = "",
    province: str = "",
    q: str = "",
    gps: bool = False,
) -> QuerySet[OrgUnit]:
    """The service points the user may see (a point: itself), with their profile and prepaid
    account, narrowed by grade, standing, a province their service areas cover, GPS-upgrade
    points only, and a name or code search."""
    qs = (
        OrgUnit.objects.visible_to(user)
        .filter(kind=OrgKind.SERVICE_POINT)
        .select_related("service_profile", "parent", "prepaid_account")
    )
    if grade:
        qs = qs.filter(service_profile__grade=grade)
    if status == "none":
        qs = qs.filter(service_profile__isnull=True)
    elif status:
        qs = qs.filter(service_profile__status=status)
    if province:
        qs = qs.filter(
            Exists(ServiceArea.objects.filter(org_unit=OuterRef("pk"), province=province))
        )
    if gps:
        qs = qs.filter(gps_upgrade=True)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return qs


def area_provinces() -> list[str]:
    """The provinces some service area names (the province filter's choices)."""
    return list(
        ServiceArea.objects.order_by("province").values_list("province", flat=True).distinct()[:60]
    )


def expiring_counts(unit_ids: list[int], *, on=None) -> dict[int, int]:
    """{point id: its documents expiring within the warning days or expired} for a page's
    points (one query)."""
    if not unit_ids:
        return {}
    on = on or timezone.localdate()
    days = LifeRules.current().document_warning_days
    newer = QualificationDocument.objects.filter(
        org_unit=OuterRef("org_unit"), kind=OuterRef("kind"), holder_name=OuterRef("holder_name")
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gt=OuterRef("expires_on")))
    rows = (
        QualificationDocument.objects.filter(
            org_unit_id__in=unit_ids, expires_on__lte=on + timedelta(days=days)
        )
        .exclude(Exists(newer))
        .values("org_unit_id")
        .annotate(n=Count("pk"))
    )
    return {r["org_unit_id"]: r["n"] for r in rows}


def point_for(user, pk: int) -> OrgUnit | None:
    return points_visible_to(user).filter(pk=pk).first()


def top_up_url(unit: OrgUnit) -> str | None:
    """The page where the network specialist records a top-up (登记充值), when an installed app
    offers one (the call centre's activation-code desk does)."""
    try:
        return reverse("callcenter:prepaid_top_up", args=[unit.pk])
    except NoReverseMatch:
        return None


def ledger_url(unit: OrgUnit) -> str | None:
    try:
        return reverse("callcenter:prepaid_ledger", args=[unit.pk])
    except NoReverseMatch:
        return None


def point_detail(unit: OrgUnit) -> dict:
    """Everything the point's page shows, each part bounded."""
    profile = ServicePointProfile.objects.filter(org_unit=unit).first()
    account, entries = unit_prepaid(unit)
    today = timezone.localdate()
    days = LifeRules.current().document_warning_days
    documents = list(
        QualificationDocument.objects.filter(org_unit=unit).select_related("uploaded_by")[:50]
    )
    for doc in documents:
        doc.expired_now = doc.expires_on is not None and doc.expires_on < today
        doc.expiring_soon = (
            doc.expires_on is not None
            and not doc.expired_now
            and doc.expires_on <= today + timedelta(days=days)
        )
    return {
        "profile": profile,
        "areas": list(ServiceArea.objects.filter(org_unit=unit)[:100]),
        "documents": documents,
        "evaluations": list(PointEvaluation.objects.filter(org_unit=unit)[:8]),
        "grade_changes": list(
            GradeChange.objects.filter(org_unit=unit).select_related("changed_by")[:10]
        ),
        "gps_decisions": list(
            GpsQualificationDecision.objects.filter(org_unit=unit).select_related("decided_by")[:10]
        ),
        "account": account,
        "entries": entries,
        "trainings": list(
            TrainingAttendee.objects.filter(org_unit=unit)
            .select_related("session", "user")
            .order_by("-session__starts_at", "-id")[:20]
        ),
        "application": PointApplication.objects.filter(org_unit=unit).first(),
        "top_up_url": top_up_url(unit),
        "ledger_url": ledger_url(unit),
    }


# --- applications, evaluations, trainings --------------------------------------------------------


def applications_visible_to(user, *, state: str = "", q: str = "") -> QuerySet:
    qs = PointApplication.objects.visible_to(user).select_related("parent", "submitted_by")
    if state == "open":
        qs = qs.filter(state__in=[ApplicationState.SUBMITTED, ApplicationState.UNDER_REVIEW])
    elif state:
        qs = qs.filter(state=state)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(number__icontains=q))
    return qs


def application_for(user, pk: int) -> PointApplication | None:
    return applications_visible_to(user).filter(pk=pk).first()


def evaluations_visible_to(user, *, period: str = "", state: str = "", grade: str = ""):
    qs = PointEvaluation.objects.visible_to(user).select_related("org_unit")
    if period:
        qs = qs.filter(period=period.upper())
    if state:
        qs = qs.filter(state=state)
    if grade:
        qs = qs.filter(suggested_grade=grade)
    return qs


def evaluation_periods(user) -> list[str]:
    return list(
        PointEvaluation.objects.visible_to(user)
        .order_by("-period")
        .values_list("period", flat=True)
        .distinct()[:12]
    )


def trainings_visible_to(user, *, state: str = "", q: str = "") -> QuerySet:
    qs = TrainingSession.objects.visible_to(user).select_related("trainer", "org_unit")
    if state:
        qs = qs.filter(state=state)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(topic__icontains=q) | Q(number__icontains=q))
    return qs


def training_record_of(person) -> list[TrainingAttendee]:
    """A person's training record (培训记录): every session they were enrolled on."""
    return list(
        TrainingAttendee.objects.filter(user=person)
        .select_related("session", "org_unit")
        .order_by("-session__starts_at", "-id")[:200]
    )


# --- 我的工作 providers --------------------------------------------------------------------------


class ApplicationReviewProvider:
    """Applications to join waiting for the network specialist, oldest first."""

    name = "network.applications"
    label = gettext_lazy("入网申请待审核")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        if not perms.may_review(user):
            return []
        rows = (
            PointApplication.objects.visible_to(user)
            .filter(state__in=[ApplicationState.SUBMITTED, ApplicationState.UNDER_REVIEW])
            .select_related("parent")
            .order_by("submitted_at", "pk")[:limit]
        )
        return [
            WorkItem(
                key=f"network.application:{a.pk}",
                kind=self.name,
                kind_label=self.label,
                what=_("入网申请 %(no)s：%(name)s（%(state)s）")
                % {"no": a.number, "name": a.name, "state": ApplicationState(a.state).label},
                url=reverse_id("network:application_detail", a.pk),
                since=a.submitted_at,
                where=a.parent.name,
            )
            for a in rows
        ]


class DocumentExpiryProvider:
    """Qualification documents of points in the network that expire soon or have expired and
    have not been replaced; due on their expiry day."""

    name = "network.documents"
    label = gettext_lazy("资质文件到期")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        if not perms.may_manage_points(user):
            return []
        from .services import documents_expiring

        today = timezone.localdate(now)
        days = LifeRules.current().document_warning_days
        rows = (
            documents_expiring(on=today, days=days)
            .filter(pk__in=QualificationDocument.objects.visible_to(user).values("pk"))
            .order_by("expires_on", "pk")[:limit]
        )
        items = []
        for doc in rows:
            due = timezone.make_aware(datetime.combine(doc.expires_on, datetime.min.time()))
            items.append(
                WorkItem(
                    key=f"network.document:{doc.pk}",
                    kind=self.name,
                    kind_label=self.label,
                    what=_("%(unit)s：%(kind)s %(holder)s 有效期至 %(date)s")
                    % {
                        "unit": doc.org_unit.name,
                        "kind": DocumentKind(doc.kind).label,
                        "holder": doc.holder_name,
                        "date": doc.expires_on.isoformat(),
                    },
                    url=reverse_id("network:point_detail", doc.org_unit_id) + "#documents",
                    since=doc.uploaded_at,
                    due_at=due,
                    where=doc.org_unit.name,
                )
            )
        return items


class EvaluationConfirmProvider:
    """Quarterly evaluations whose grade waits for the network specialist's confirmation."""

    name = "network.evaluations"
    label = gettext_lazy("网点考核待确认")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        if not perms.may_manage_points(user):
            return []
        rows = (
            PointEvaluation.objects.visible_to(user)
            .filter(state=EvaluationState.PROPOSED)
            .select_related("org_unit")
            .order_by("computed_at", "pk")[:limit]
        )
        return [
            WorkItem(
                key=f"network.evaluation:{e.pk}",
                kind=self.name,
                kind_label=self.label,
                what=_("%(unit)s %(period)s 考核：得分 %(score)s，建议 %(grade)s 级")
                % {
                    "unit": e.org_unit.name,
                    "period": e.period,
                    "score": e.score if e.score is not None else "—",
                    "grade": e.suggested_grade,
                },
                url=reverse_id("network:evaluation_detail", e.pk),
                since=e.computed_at,
                where=e.org_unit.name,
            )
            for e in rows
        ]
