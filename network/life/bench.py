"""The network's life in the volume benchmark (called from network/bench.py): every bench
service point gets its profile (grades and standings spread), a service area and a quarter's
evaluation, and the network specialist is a caller; the points list is timed for it."""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from service_ops.bench import Caller, Context, Probe

from ..choices import OrgKind, PointStatus, Role
from ..models import OrgUnit, RoleAssignment, ServiceArea, ServicePointProfile, StaffProfile
from .models import PointEvaluation

STATUSES = (PointStatus.ACTIVE,) * 8 + (PointStatus.SUSPENDED, PointStatus.TERMINATED)


def generate(ctx: Context, *, hq: OrgUnit, password_hash: str, password: str) -> None:
    from django.contrib.auth import get_user_model

    points = list(OrgUnit.objects.filter(kind=OrgKind.SERVICE_POINT, code__startswith="BENCH-"))
    ServicePointProfile.objects.bulk_create(
        [
            ServicePointProfile(org_unit=p, grade="ABCD"[i % 4], status=STATUSES[i % len(STATUSES)])
            for i, p in enumerate(points)
        ]
    )
    ServiceArea.objects.bulk_create(
        [ServiceArea(org_unit=p, province=p.name[:2] + "省") for p in points]
    )
    PointEvaluation.objects.bulk_create(
        [
            PointEvaluation(
                org_unit=p,
                period="2026Q1",
                period_start=date(2026, 1, 1),
                period_end=date(2026, 4, 1),
                grade_before="B",
                suggested_grade="ABCD"[i % 4],
            )
            for i, p in enumerate(points)
        ]
    )
    ctx.count("network.ServicePointProfile", len(points))
    ctx.count("network.ServiceArea", len(points))
    ctx.count("network.PointEvaluation", len(points))
    user = get_user_model().objects.create(
        username="bench-network", first_name="网点专员", password=password_hash
    )
    StaffProfile.objects.create(user=user, org_unit=hq)
    RoleAssignment.objects.create(user=user, org_unit=hq, role=Role.NETWORK_SPECIALIST)
    ctx.count("auth.User", 1)
    ctx.callers["network"] = Caller("network", "网点专员 (HQ)", user, password=password)


# Forms and actions of the network's life: not lists.
NOT_LISTS = frozenset(
    {"network:application_new", "network:evaluation_compute", "network:training_new"}
)


def probes(ctx: Context) -> list[Probe]:
    points = reverse("network:point_list")
    return [
        Probe("service points", "network", points, row_marker="BENCH-S", load=1),
        Probe(
            "service points",
            "network",
            f"{points}?grade=A&status=active",
            variant="grade=A",
            row_marker="BENCH-S",
        ),
        Probe("service points", "branch_manager", points, row_marker="BENCH-S"),
        Probe("point evaluations", "network", reverse("network:evaluation_list")),
        Probe("point applications", "network", reverse("network:application_list"), rows=None),
        Probe("trainings", "network", reverse("network:training_list"), rows=None),
        Probe("api service-points", "hq", reverse("api-service-point-list"), api=True),
    ]
