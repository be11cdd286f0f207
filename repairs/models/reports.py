"""Monthly roll-ups of the supervisors' reports (issue 21): the technicians' evaluation, the field
visits and the repair turnaround read closed stretches of time from these rows and compute only
what came after `ReportRollup.rolled_until` live, so the figures equal the live computation at
the moment of the refresh (repairs/services/rollups.py) while a year of a large department costs
a few thousand rows a report instead of a scan of every shipped order.

Each row keeps the columns the report's scope and filters read on the source rows (a repair
order's branch; a request's owning unit, service point and dealer; a visit's request unit and
service point), under the same names, so the caller's visibility Q applies to the roll-up as it
does to the source rows."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from network.models import OrgUnit


def _unit():
    # derived rows: read by month first, so no index of their own on the scope columns
    return models.ForeignKey(
        OrgUnit, null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )


class ReportRollup(models.Model):
    """The one row saying up to which moment the roll-ups hold the figures (a local midnight)."""

    rolled_until = models.DateTimeField(_("汇总截至"), null=True, blank=True)
    refreshed_at = models.DateTimeField(_("刷新时间"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("汇总行数"), default=0)
    seconds = models.FloatField(_("耗时（秒）"), default=0)

    class Meta:
        verbose_name = _("报表月度汇总")
        verbose_name_plural = _("报表月度汇总")


class TechnicianMonth(models.Model):
    """One person's work of a month: the workshop's orders shipped (by the order's branch) or
    the field's visits finished (by the request's unit and the visit's service point)."""

    month = models.DateField()
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=10)  # "workshop" / "field"
    branch = _unit()
    org_unit = _unit()
    service_unit = _unit()
    units = models.PositiveIntegerField(default=0)
    second = models.PositiveIntegerField(default=0)
    callbacks_closed = models.PositiveIntegerField(default=0)
    reached = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    dissatisfied = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["month", "kind"], name="techmonth_month")]


class FieldRequestMonth(models.Model):
    """The service requests solved in a month, by owning unit, service point and dealer."""

    month = models.DateField()
    org_unit = _unit()
    assigned_unit = _unit()
    dealer = _unit()
    solved = models.PositiveIntegerField(default=0)
    first_time_fix = models.PositiveIntegerField(default=0)
    escalated = models.PositiveIntegerField(default=0)
    redispatched = models.PositiveIntegerField(default=0)
    solve_seconds = models.FloatField(default=0)  # sum of reported → solved
    accepted = models.PositiveIntegerField(default=0)  # accepted offers of those requests
    accept_seconds = models.FloatField(default=0)  # sum of offer → acceptance

    class Meta:
        indexes = [models.Index(fields=["month"], name="fieldreqmonth_month")]


class FieldVisitMonth(models.Model):
    """The visits whose appointment window ended in a month, by request unit and service point."""

    month = models.DateField()
    org_unit = _unit()
    service_unit = _unit()
    due = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)
    missing = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["month"], name="fieldvisitmonth_month")]


class TurnaroundMonth(models.Model):
    """A closed month's turnaround by lot tier: for every branch together (branch NULL) and for
    each branch. Percentiles do not add up, so other cuts (a province's branches) are live."""

    month = models.DateField()
    tier = models.CharField(max_length=4)
    branch = _unit()
    units = models.PositiveIntegerField(default=0)
    median = models.FloatField(null=True)
    p90 = models.FloatField(null=True)

    class Meta:
        indexes = [models.Index(fields=["month", "branch"], name="turnaroundmonth_month")]
