"""Admin screens of the shared core: the company calendar, time-limit policies, and read-only views
of timers, notifications and the transition log.

Every calendar edit goes through the calendar services (which log a CalendarChange and recompute
open timers); state fields are read-only everywhere; django-fsm's admin mixin is never used (it
would bypass the service layer)."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from service_ops.audit.admin import AuditHistoryAdminMixin
from service_ops.audit.services import calendar_year_changes
from service_ops.deadlines.models import (
    Deadline,
    DeadlineAction,
    DeadlineLog,
    DeadlinePause,
    DeadlinePolicy,
)
from service_ops.notifications.models import Notification, OutboundSms
from service_ops.transitions.models import TransitionLog
from service_ops.workcalendar.models import CalendarChange, CalendarDay, CalendarYear
from service_ops.workcalendar.services import (
    ScheduleError,
    calendar_confirm_year,
    calendar_seed_year,
    calendar_set_day,
    parse_schedule,
)

admin.site.site_header = _("售后服务运营平台 · 管理后台")
admin.site.site_title = _("售后服务运营平台")
admin.site.index_title = _("管理")

WEEKDAYS = "一二三四五六日"


class ReadOnlyAdmin(admin.ModelAdmin):
    """A log or a record owned by a service: it can be read, never added, edited or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- the company calendar ---------------------------------------------------------------------


def provisional_badge(provisional: bool):
    if provisional:
        return format_html(
            '<span style="background:#fef3c7;color:#92400e;font-weight:bold;padding:2px 6px;'
            'border-radius:4px">⚠ {}</span>',
            _("暂定，待确认"),
        )
    return format_html('<span style="color:#166534">✔ {}</span>', _("已确认"))


class CalendarYearForm(forms.ModelForm):
    """Add: the year to seed. Change: the published 放假调休 schedule that confirms it."""

    schedule = forms.CharField(
        label=_("公布的放假调休安排"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "cols": 70, "spellcheck": "false"}),
        help_text=_(
            "每行一个日期或日期区间，后跟“休”或“班”和说明，例如：<br>"
            "<code>2027-02-06~2027-02-13 休 春节</code><br>"
            "<code>2027-02-14 班 春节调休</code><br>"
            "未列出的日期按周一至周五上班、周末休息；公司单独调整的日期保留。"
            "保存即确认该年度，并重算所有未结束计时器的到期时间。"
        ),
    )

    class Meta:
        model = CalendarYear
        fields = ["year"]

    def clean_year(self):
        year = self.cleaned_data["year"]
        this_year = timezone.localdate().year
        if not 2000 <= year <= this_year + 5:
            raise forms.ValidationError(_("年份须在 2000 至 %(max)d 之间") % {"max": this_year + 5})
        return year

    def clean_schedule(self):
        text = self.cleaned_data.get("schedule", "")
        if text.strip() and self.instance.pk:
            try:
                parse_schedule(text, self.instance.year)
            except ScheduleError as error:
                raise forms.ValidationError(list(error.args[0])) from None
        return text


@admin.register(CalendarYear)
class CalendarYearAdmin(AuditHistoryAdminMixin, admin.ModelAdmin):
    form = CalendarYearForm
    list_display = ["year", "status", "source", "seeded_at", "confirmed_at", "confirmed_by"]
    list_filter = ["provisional"]
    list_select_related = ["confirmed_by"]
    ordering = ["-year"]

    @admin.display(description=_("状态"), ordering="provisional")
    def status(self, obj):
        return provisional_badge(obj.provisional)

    def audit_entries(self, obj):
        """The year and every day of it (the bulk rows of seeding and confirmation)."""
        return calendar_year_changes(obj, limit=self.audit_history_limit)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (
                    _("生成年度（按 holidays 库，之后的年份为暂定）"),
                    {"fields": ["year"]},
                )
            ]
        return [
            (None, {"fields": ["year", "status", "source", "seeded_at"]}),
            (_("确认年度"), {"fields": ["schedule"]}),
            (
                _("上次确认"),
                {"fields": ["confirmed_at", "confirmed_by", "published_schedule"]},
            ),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "year",
            "status",
            "source",
            "seeded_at",
            "confirmed_at",
            "confirmed_by",
            "published_schedule",
        ]

    def save_model(self, request, obj, form, change):
        if not change:
            seeded = calendar_seed_year(form.cleaned_data["year"])
            obj.pk = seeded.pk
            obj.refresh_from_db()
            return
        text = form.cleaned_data.get("schedule", "")
        if not text.strip():
            self.message_user(request, _("没有粘贴放假调休安排，年度未改变。"), messages.INFO)
            return
        moved = calendar_confirm_year(year=obj.year, schedule_text=text, actor=request.user)
        obj.refresh_from_db()
        self.message_user(
            request,
            _("已确认 %(year)d 年放假调休安排，重算了 %(n)d 个计时器的到期时间。")
            % {"year": obj.year, "n": moved},
            messages.SUCCESS,
        )

    def has_delete_permission(self, request, obj=None):
        return False


class CalendarYearFilter(admin.SimpleListFilter):
    title = _("年份")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = CalendarYear.objects.order_by("-year").values_list("year", "provisional")
        return [(str(y), f"{y}{' （暂定）' if p else ''}") for y, p in years]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(date__year=int(self.value()))
        return queryset


class CalendarDayForm(forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ["date", "is_working", "note"]


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditHistoryAdminMixin, admin.ModelAdmin):
    """Each save is a company override through calendar_set_day: logged as a CalendarChange, and
    the due times of open timers are recomputed."""

    form = CalendarDayForm
    list_display = ["date", "weekday", "is_working", "is_override", "note"]
    list_filter = [CalendarYearFilter, "is_working", "is_override"]
    search_fields = ["note"]
    list_per_page = 62

    @admin.display(description=_("星期"))
    def weekday(self, obj):
        return f"周{WEEKDAYS[obj.date.weekday()]}"

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["date", "is_working", "note"]
        return ["date", "weekday", "is_working", "note", "is_override"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["date", "weekday", "is_override"]

    def save_model(self, request, obj, form, change):
        moved = calendar_set_day(
            day=obj.date, is_working=obj.is_working, note=obj.note, actor=request.user
        )
        self.message_user(
            request,
            _("%(day)s 已设为%(kind)s，重算了 %(n)d 个计时器的到期时间。")
            % {"day": obj.date, "kind": _("工作日") if obj.is_working else _("休息日"), "n": moved},
            messages.SUCCESS,
        )

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarChange)
class CalendarChangeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "year", "date", "timers_moved", "actor", "detail"]
    list_filter = ["kind", "year"]
    list_select_related = ["actor"]
    search_fields = ["detail"]
    date_hierarchy = "created_at"


# --- deadlines --------------------------------------------------------------------------------


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(AuditHistoryAdminMixin, admin.ModelAdmin):
    """Where the limits live. A running timer keeps the copy it started with, so an edit here
    applies to timers started afterwards."""

    list_display = [
        "code",
        "name",
        "kind",
        "unit",
        "limit",
        "max_total",
        "warn_before",
        "escalation_interval",
        "is_active",
    ]
    list_filter = ["unit", "kind", "is_active"]
    search_fields = ["code", "name", "kind"]
    list_editable = ["is_active"]

    def has_delete_permission(self, request, obj=None):
        return False  # timers keep a foreign key to their policy: deactivate instead


class DeadlineLogInline(ReadOnlyInline):
    model = DeadlineLog
    fields = ["at", "kind", "due_before", "due_after", "detail", "actor"]
    readonly_fields = fields


class DeadlinePauseInline(ReadOnlyInline):
    model = DeadlinePause
    fields = ["paused_at", "resumed_at", "reason", "ball_holder", "credited", "actor"]
    readonly_fields = fields


class DeadlineActionInline(ReadOnlyInline):
    model = DeadlineAction
    fields = ["cycle", "level", "fired_at"]
    readonly_fields = fields


@admin.register(Deadline)
class DeadlineAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "kind",
        "status",
        "level",
        "due_at",
        "assignee",
        "org_unit",
        "ball_holder",
    ]
    list_filter = ["status", "kind", "ball_holder"]
    list_select_related = ["assignee", "org_unit"]
    search_fields = ["label", "kind"]
    date_hierarchy = "due_at"
    inlines = [DeadlinePauseInline, DeadlineActionInline, DeadlineLogInline]


@admin.register(DeadlineLog)
class DeadlineLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "deadline", "kind", "due_before", "due_after", "actor", "detail"]
    list_filter = ["kind"]
    list_select_related = ["deadline", "actor"]
    date_hierarchy = "at"


@admin.register(DeadlineAction)
class DeadlineActionAdmin(ReadOnlyAdmin):
    list_display = ["fired_at", "deadline", "cycle", "level"]
    list_filter = ["level"]
    list_select_related = ["deadline"]
    date_hierarchy = "fired_at"


# --- notifications and the transition log -------------------------------------------------------


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "recipient",
        "channel",
        "category",
        "subject",
        "urgent",
        "sent_at",
        "read_at",
        "attempts",
    ]
    list_filter = [
        "channel",
        "category",
        "urgent",
        "digest",
        ("sent_at", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["recipient"]
    search_fields = ["subject", "recipient__username"]
    date_hierarchy = "created_at"


@admin.register(OutboundSms)
class OutboundSmsAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "phone", "category", "text", "sent_at", "attempts", "last_error"]
    list_filter = ["category", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["phone", "text"]
    date_hierarchy = "created_at"


@admin.register(TransitionLog)
class TransitionLogAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "object_type",
        "object_id",
        "transition",
        "from_state",
        "to_state",
        "actor",
        "channel",
    ]
    list_filter = ["object_type", "channel", "transition"]
    list_select_related = ["object_type", "actor"]
    search_fields = ["transition", "comment", "actor__username"]
    date_hierarchy = "created_at"


from service_ops.webhooks import admin as _webhooks_admin  # noqa: E402, F401
