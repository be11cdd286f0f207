"""Serializers of the core API: the working-day calendar for partners."""

from datetime import date, datetime, time

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from service_ops.workcalendar.clock import ZONE

# Questions about dates further away than this are refused: every unknown year is seeded on
# demand, and a year 2999 must not seed a millennium.
SUPPORTED_YEARS_AROUND_TODAY = 5
MAX_WORKING_DAYS = 365


def check_supported(day: date) -> None:
    this_year = timezone.localdate().year
    low, high = this_year - SUPPORTED_YEARS_AROUND_TODAY, this_year + SUPPORTED_YEARS_AROUND_TODAY
    if not low <= day.year <= high:
        raise serializers.ValidationError(
            _("只支持 %(low)d 至 %(high)d 年的日期") % {"low": low, "high": high}
        )


@extend_schema_field(
    {
        "type": "string",
        "description": "ISO 8601 时间或日期；日期视为当天 00:00，无时区的时间按 Asia/Shanghai",
        "example": "2026-09-30T10:00:00+08:00",
    }
)
class MomentField(serializers.Field):
    """An ISO 8601 datetime or date. A date means 00:00 Asia/Shanghai that day; a datetime
    without an offset is read as Asia/Shanghai."""

    default_error_messages = {
        "invalid": _(
            "时间格式无效，应为 ISO 8601 日期或时间，例如 2026-09-30 或 2026-09-30T10:00+08:00"
        )
    }

    def to_internal_value(self, data) -> datetime:
        if not isinstance(data, str):
            self.fail("invalid")
        text = data.strip()
        try:
            moment = parse_datetime(text)
            if moment is None:
                day = parse_date(text)
                if day is None:
                    self.fail("invalid")
                moment = datetime.combine(day, time(0), tzinfo=ZONE)
        except ValueError:  # well-formed but impossible, e.g. 2026-02-30
            self.fail("invalid")
        if timezone.is_naive(moment):
            moment = moment.replace(tzinfo=ZONE)
        try:
            local = moment.astimezone(ZONE)
        except OverflowError:  # e.g. 0001-01-01T00:00+14:00: no such moment in Shanghai
            self.fail("invalid")
        check_supported(local.date())
        return moment

    def to_representation(self, value: datetime) -> str:
        return value.astimezone(ZONE).isoformat()


class SupportedDateField(serializers.DateField):
    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        check_supported(day)
        return day


class WorkingDayQuerySerializer(serializers.Serializer):
    date = SupportedDateField(help_text=_("要查询的日期，YYYY-MM-DD"))


class WorkingDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    is_working_day = serializers.BooleanField()
    provisional = serializers.BooleanField(
        help_text=_("该年度的放假调休安排尚未由管理员按官方公布确认，结果可能变化")
    )


class AddWorkingDaysQuerySerializer(serializers.Serializer):
    start = MomentField(help_text=_("开始时间（ISO 8601 时间或日期），当天不计入"))
    days = serializers.IntegerField(
        min_value=1, max_value=MAX_WORKING_DAYS, help_text=_("工作日数，1 至 365")
    )


class AddWorkingDaysSerializer(serializers.Serializer):
    start = serializers.DateTimeField(default_timezone=ZONE)
    days = serializers.IntegerField()
    due = serializers.DateTimeField(
        default_timezone=ZONE,
        help_text=_("第 N 个工作日的下班时间（Asia/Shanghai），开始当天不计"),
    )
    provisional = serializers.BooleanField(
        help_text=_("涉及的年度中有尚未确认放假调休安排的，结果可能变化")
    )


class WorkItemSerializer(serializers.Serializer):
    """One entry of 我的工作 (service_ops.work.WorkItem.as_dict)."""

    key = serializers.CharField(help_text="唯一键，例如 repairs.quote:12")
    kind = serializers.CharField(help_text="提供者（标签页），例如 timers、repairs.quotes")
    kind_label = serializers.CharField()
    what = serializers.CharField(help_text="待办事项")
    url = serializers.CharField(help_text="办理页面（站内路径）")
    since = serializers.DateTimeField(help_text="自何时起等待")
    due_at = serializers.DateTimeField(allow_null=True, help_text="到期时间；无时限为 null")
    group = serializers.ChoiceField(choices=["overdue", "soon", "later", "waiting"])
    paused = serializers.BooleanField()
    overdue = serializers.BooleanField()
    working_days_left = serializers.IntegerField(allow_null=True)
    time_left = serializers.CharField()
    due_at_provisional = serializers.BooleanField(
        help_text="到期时间所在年份的放假调休安排尚未公布（暂定），公布后可能调整"
    )
    where = serializers.CharField()
    note = serializers.CharField()


class WorkKindSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class MyWorkSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="筛选后的条数")
    total = serializers.IntegerField(help_text="全部待办条数（达到上限时 capped 为 true）")
    capped = serializers.BooleanField()
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="按到期分组的条数")
    kinds = WorkKindSerializer(many=True)
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = WorkItemSerializer(many=True)
