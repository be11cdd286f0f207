"""The SLA dashboard's summary tables, refreshed from the deadline engine's timers by a periodic
job (service_ops.dashboards.refresh), so the page reads a few thousand summary rows instead of
counting a million timers. Every kind of timer any app registers appears here by its `kind`."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SlaOpenCount(models.Model):
    """Open timers (running, paused, breached) of one kind, org unit, assignee and ball holder,
    by bucket, as of the last refresh. Buckets of an open timer exclude each other: paused;
    overdue (running or breached, due at or before the refresh); due today; due on the next
    working day (platform calendar); later (the rest)."""

    kind = models.CharField(max_length=64)
    # Plain references without a database constraint: the table is rewritten on every refresh
    # and must never block deleting a unit or a person.
    org_unit = models.ForeignKey(
        "network.OrgUnit", null=True, on_delete=models.DO_NOTHING, db_constraint=False
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    ball_holder = models.CharField(max_length=10, blank=True)
    open = models.PositiveIntegerField(default=0, db_default=0)
    overdue = models.PositiveIntegerField(default=0, db_default=0)
    due_today = models.PositiveIntegerField(default=0, db_default=0)
    due_next_day = models.PositiveIntegerField(default=0, db_default=0)
    paused = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        verbose_name = _("SLA 未结汇总")
        verbose_name_plural = _("SLA 未结汇总")
        indexes = [models.Index(fields=["org_unit", "kind"], name="slaopen_org_kind")]


class DailyCounts(models.Model):
    """Per local day, kind and org unit: timers closed that day on time (`met`) and late
    (`late`) — the engine's own verdict, measured in working time with pauses credited — and
    (`is_open` rows) timers still open whose due time passed on that day (`missed_open`).
    Closed rows are refreshed incrementally (the days since the previous refresh), open rows in
    full."""

    day = models.DateField()
    kind = models.CharField(max_length=64)
    org_unit = models.ForeignKey(
        "network.OrgUnit",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    is_open = models.BooleanField(default=False, db_default=False)
    met = models.PositiveIntegerField(default=0, db_default=0)
    late = models.PositiveIntegerField(default=0, db_default=0)
    missed_open = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        abstract = True


class SlaDailyCount(DailyCounts):
    """The day's counts of every timer (the page without a person cut reads these: a few rows
    per kind, unit and day)."""

    class Meta:
        verbose_name = _("SLA 每日汇总")
        verbose_name_plural = _("SLA 每日汇总")
        # a unit's subtree finds its own rows of the window (a branch: a few hundred of the
        # table's 130,000 at a year's volume) rather than the window's rows of every unit
        indexes = [
            models.Index(fields=["day", "org_unit"], name="sladaily_day_org"),
            models.Index(fields=["org_unit", "day"], name="sladaily_org_day"),
        ]


class SlaDailyPersonCount(DailyCounts):
    """The same counts of the timers that have an assignee, per person (the person cut)."""

    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )

    class Meta:
        verbose_name = _("SLA 每日个人汇总")
        verbose_name_plural = _("SLA 每日个人汇总")
        indexes = [models.Index(fields=["assignee", "day"], name="sladailyperson_who_day")]


class SlaPartnerOpenCount(models.Model):
    """The open timers whose owner belongs to a partner (a dealer or service point: the kind
    declares how, DeadlineKind.partner), by org unit and partner, as of the last refresh. The
    same timers are also in SlaOpenCount under their org unit: the dealer and service-point cuts
    move them from the unit to the partner (so the table holds only those rows)."""

    org_unit = models.ForeignKey(
        "network.OrgUnit",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    partner = models.ForeignKey(
        "network.OrgUnit", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    open = models.PositiveIntegerField(default=0, db_default=0)
    overdue = models.PositiveIntegerField(default=0, db_default=0)
    due_today = models.PositiveIntegerField(default=0, db_default=0)
    due_next_day = models.PositiveIntegerField(default=0, db_default=0)
    paused = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        verbose_name = _("SLA 未结合作方汇总")
        verbose_name_plural = _("SLA 未结合作方汇总")
        indexes = [models.Index(fields=["org_unit"], name="slapartneropen_org")]


class SlaPartnerDailyCount(models.Model):
    """SlaDailyCount's counts of the timers whose owner belongs to a partner, per day, org unit
    and partner (no kind: the cuts by dealer and service point add the kinds up)."""

    day = models.DateField()
    org_unit = models.ForeignKey(
        "network.OrgUnit",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    partner = models.ForeignKey(
        "network.OrgUnit", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    is_open = models.BooleanField(default=False, db_default=False)
    met = models.PositiveIntegerField(default=0, db_default=0)
    late = models.PositiveIntegerField(default=0, db_default=0)
    missed_open = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        verbose_name = _("SLA 每日合作方汇总")
        verbose_name_plural = _("SLA 每日合作方汇总")
        indexes = [models.Index(fields=["day", "org_unit"], name="slapartnerdaily_day_org")]


class SlaRefresh(models.Model):
    """The one row saying when the summaries were last refreshed (its lock serialises refreshes)."""

    as_of = models.DateTimeField(null=True)
    # the first day whose closed rows the last run rebuilt
    closed_from = models.DateField(null=True)
    full_at = models.DateTimeField(null=True)
    duration_ms = models.PositiveIntegerField(default=0, db_default=0)
    open_rows = models.PositiveIntegerField(default=0, db_default=0)
    daily_rows = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        verbose_name = _("SLA 汇总刷新")
        verbose_name_plural = _("SLA 汇总刷新")
