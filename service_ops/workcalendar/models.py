from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CalendarYear(models.Model):
    """A seeded year. Provisional until an admin confirms it with the published 调休 schedule."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    provisional = models.BooleanField(_("暂定"), default=True)
    source = models.CharField(_("来源"), max_length=80, blank=True)
    seeded_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("确认人"),
    )
    published_schedule = models.TextField(_("公布的放假调休安排"), blank=True)

    class Meta:
        verbose_name = _("日历年度")
        verbose_name_plural = _("日历年度")
        ordering = ["year"]

    def __str__(self):
        return f"{self.year}{' (暂定)' if self.provisional else ''}"


class CalendarDay(models.Model):
    """The company calendar: the only source the deadline code reads."""

    date = models.DateField(_("日期"), primary_key=True)
    is_working = models.BooleanField(_("工作日"))
    is_override = models.BooleanField(
        _("公司调整"), default=False, help_text=_("公司单独调整的日期，确认年度安排时保留")
    )
    note = models.CharField(_("说明"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("日历日")
        verbose_name_plural = _("日历日")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {'班' if self.is_working else '休'}"


class CalendarVersion(models.Model):
    """A single row whose number changes with every calendar edit, so every process knows when to
    reload its cached list of working days."""

    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("日历版本")


class CalendarChange(models.Model):
    class Kind(models.TextChoices):
        SEED = "seed", _("生成")
        CONFIRM = "confirm", _("确认年度")
        OVERRIDE = "override", _("单日调整")

    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("年份"))
    date = models.DateField(_("日期"), null=True, blank=True)
    detail = models.TextField(_("内容"), blank=True)
    timers_moved = models.PositiveIntegerField(_("重算的计时器"), default=0)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("操作人"),
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("日历变更记录")
        verbose_name_plural = _("日历变更记录")
        ordering = ["-created_at", "-id"]
