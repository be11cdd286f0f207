"""Admin screens of the service network.

Balances and tokens are never written by the admin itself: a top-up or refund goes through
network.services.prepaid_post, a token through token_issue (the plaintext is shown once, in a
message) and token_revoke."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from service_ops.audit.admin import AuditHistoryAdminMixin

from .choices import PARTNER_KINDS, LedgerEntryKind
from .models import (
    Delegation,
    LifeRules,
    OrgUnit,
    PartnerToken,
    PointApplication,
    PointEvaluation,
    PrepaidAccount,
    PrepaidEntry,
    RoleAssignment,
    ServiceArea,
    ServicePointProfile,
    StaffProfile,
    TrainingSession,
)
from .selectors import unit_changes, user_changes
from .services import (
    prepaid_check_org_unit,
    prepaid_post,
    token_issue,
    token_issue_validate,
    token_revoke,
)

User = get_user_model()

# How many of the newest ledger entries the account page shows inline; the rest are one click away.
RECENT_ENTRIES = 50


# --- org units --------------------------------------------------------------------------------


@admin.register(OrgUnit)
class OrgUnitAdmin(AuditHistoryAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "kind", "branch_kind", "parent", "gps_upgrade", "is_active"]
    list_filter = ["kind", "branch_kind", "gps_upgrade", "is_active"]
    list_select_related = ["parent"]
    search_fields = ["code", "name", "contact_name", "phone"]
    autocomplete_fields = ["parent"]
    # GPS-upgrade qualification is a recorded decision with evidence (the point's page)
    readonly_fields = ["path", "gps_upgrade"]
    ordering = ["path"]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "branch_kind", "parent", "path", "is_active"]}),
        (_("网点信息"), {"fields": ["gps_upgrade", "contact_name", "phone", "address"]}),
    ]

    def audit_entries(self, obj):
        return unit_changes(obj, limit=self.audit_history_limit)


# --- people -----------------------------------------------------------------------------------


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    max_num = 1
    autocomplete_fields = ["org_unit"]
    verbose_name_plural = _("员工档案")


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["org_unit"]


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserAdmin(AuditHistoryAdminMixin, DjangoUserAdmin):
    inlines = [StaffProfileInline, RoleAssignmentInline]
    list_display = ["username", "full_name", "org_unit", "is_active", "is_staff"]
    list_filter = [*DjangoUserAdmin.list_filter, "profile__org_unit__kind"]
    list_select_related = ["profile__org_unit"]
    search_fields = [*DjangoUserAdmin.search_fields, "profile__phone", "profile__org_unit__name"]

    def audit_entries(self, obj):
        """The person, their staff profile and their roles (removed ones too)."""
        return user_changes(obj, limit=self.audit_history_limit)

    @admin.display(description=_("姓名"))
    def full_name(self, obj):
        return obj.get_full_name()

    @admin.display(description=_("所属组织"), ordering="profile__org_unit__path")
    def org_unit(self, obj):
        profile = getattr(obj, "profile", None) if hasattr(obj, "profile") else None
        return profile.org_unit if profile else "—"


@admin.register(Delegation)
class DelegationAdmin(AuditHistoryAdminMixin, admin.ModelAdmin):
    list_display = ["principal", "deputy", "role", "starts_on", "ends_on", "note"]
    list_filter = ["role", "starts_on"]
    list_select_related = ["principal", "deputy"]
    search_fields = ["principal__username", "deputy__username", "note"]
    autocomplete_fields = ["principal", "deputy"]
    date_hierarchy = "starts_on"


# --- prepaid balance --------------------------------------------------------------------------


class PrepaidPostForm(forms.ModelForm):
    """The account page posts one ledger entry through prepaid_post; the balance itself is never
    a form field."""

    entry_kind = forms.ChoiceField(
        label=_("记账类型"),
        choices=[("", "—"), *LedgerEntryKind.choices],
        required=False,
    )
    amount = forms.DecimalField(
        label=_("金额（元）"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        required=False,
    )
    reference = forms.CharField(label=_("关联单据"), max_length=64, required=False)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    class Meta:
        model = PrepaidAccount
        fields = ["org_unit"]

    def clean(self):
        data = super().clean()
        kind, amount = data.get("entry_kind"), data.get("amount")
        adding = self.instance.pk is None
        if adding and not (kind and amount):
            raise ValidationError(_("开户须同时记第一笔账（通常为充值）"))
        if bool(kind) != (amount is not None):
            raise ValidationError(_("记账类型和金额须同时填写"))
        org_unit = data.get("org_unit") if adding else self.instance.org_unit
        if org_unit is not None:
            try:
                prepaid_check_org_unit(org_unit)
            except ValidationError as error:
                self.add_error("org_unit" if adding else None, error.message_dict["org_unit"])
        balance = Decimal("0") if adding else self.instance.balance
        if kind == LedgerEntryKind.CHARGE and amount is not None and amount > balance:
            self.add_error(
                "amount", _("余额不足：当前余额 ¥%(balance)s") % {"balance": f"{balance:.2f}"}
            )
        return data


class PrepaidEntryInline(admin.TabularInline):
    model = PrepaidEntry
    fields = ["created_at", "kind", "amount", "balance_after", "reference", "note", "operator"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-id"]
    verbose_name_plural = _("最近的流水（最多 50 笔，全部流水见上方链接）")

    @admin.display(description=_("操作人"))
    def operator(self, obj):
        return obj.created_by or "—"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PrepaidAccount)
class PrepaidAccountAdmin(admin.ModelAdmin):
    form = PrepaidPostForm
    inlines = [PrepaidEntryInline]
    list_display = ["org_unit", "org_kind", "balance", "updated_at"]
    list_filter = ["org_unit__kind"]
    list_select_related = ["org_unit"]
    search_fields = ["org_unit__code", "org_unit__name"]
    ordering = ["org_unit__path"]
    post_fields = ["entry_kind", "amount", "reference", "note"]

    @admin.display(description=_("类型"), ordering="org_unit__kind")
    def org_kind(self, obj):
        return obj.org_unit.get_kind_display()

    @admin.display(description=_("全部流水"))
    def entries_link(self, obj):
        url = reverse("admin:network_prepaidentry_changelist")
        return format_html('<a href="{}?account__id__exact={}">{}</a>', url, obj.pk, _("查看"))

    def get_inline_instances(self, request, obj=None):
        return [] if obj is None else super().get_inline_instances(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["org_unit", "balance", "updated_at", "entries_link"]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(_("开户并记第一笔账"), {"fields": ["org_unit", *self.post_fields]})]
        return [
            (None, {"fields": ["org_unit", "balance", "updated_at", "entries_link"]}),
            (
                _("记一笔账（充值、退款或扣费）"),
                {
                    "fields": self.post_fields,
                    "description": _("保存时按所选类型记账，余额随之变化；留空则不记账。"),
                },
            ),
        ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "org_unit":
            kwargs["queryset"] = OrgUnit.objects.filter(
                kind__in=list(PARTNER_KINDS), prepaid_account__isnull=True
            ).order_by("path")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, PrepaidEntryInline) and obj is not None and obj.pk:
            newest = list(
                PrepaidEntry.objects.filter(account=obj)
                .order_by("-id")
                .values_list("pk", flat=True)[:RECENT_ENTRIES]
            )
            kwargs["queryset"] = kwargs["queryset"].filter(pk__in=newest)
        return kwargs

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not data.get("entry_kind"):
            return  # nothing to post; the account row itself is never saved from the admin
        org_unit = obj.org_unit
        try:
            entry = prepaid_post(
                org_unit=org_unit,
                kind=data["entry_kind"],
                amount=data["amount"],
                actor=request.user,
                reference=data.get("reference", ""),
                note=data.get("note", ""),
            )
        except ValidationError as error:  # lost a race with a concurrent charge
            self.message_user(request, "; ".join(error.messages), messages.ERROR)
            if not change:
                raise
            return
        obj.pk = entry.account_id
        obj.refresh_from_db()
        self.message_user(
            request,
            _("已记账：%(kind)s ¥%(amount)s，余额 ¥%(balance)s")
            % {
                "kind": entry.get_kind_display(),
                "amount": entry.amount,
                "balance": entry.balance_after,
            },
            messages.SUCCESS,
        )

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PrepaidEntry)
class PrepaidEntryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "account",
        "kind",
        "amount",
        "balance_after",
        "reference",
        "created_by",
    ]
    list_filter = ["kind", "created_at"]
    list_select_related = ["account__org_unit"]
    search_fields = ["account__org_unit__code", "account__org_unit__name", "reference", "note"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- partner API tokens -----------------------------------------------------------------------


class PartnerTokenIssueForm(forms.ModelForm):
    class Meta:
        model = PartnerToken
        fields = ["org_unit", "user", "name", "expires_at"]

    def clean(self):
        data = super().clean()
        if data.get("org_unit") and data.get("user"):
            try:
                token_issue_validate(
                    org_unit=data["org_unit"], user=data["user"], expires_at=data.get("expires_at")
                )
            except ValidationError as error:
                self.add_error(None, error)
        return data


@admin.register(PartnerToken)
class PartnerTokenAdmin(AuditHistoryAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "org_unit",
        "user",
        "token_prefix",
        "usable",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["org_unit__kind", "revoked_at", "expires_at"]
    list_select_related = ["org_unit", "user"]
    search_fields = ["name", "prefix", "org_unit__code", "org_unit__name", "user__username"]
    autocomplete_fields = ["org_unit", "user"]
    actions = ["revoke"]

    @admin.display(description=_("可用"), boolean=True)
    def usable(self, obj):
        return obj.is_usable()

    @admin.display(description=_("前缀"), ordering="prefix")
    def token_prefix(self, obj):
        return obj.prefix

    @admin.display(description=_("SHA-256 摘要"))
    def token_digest(self, obj):
        return obj.digest

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = PartnerTokenIssueForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["org_unit", "user", "name", "expires_at"]
        return [
            "name",
            "org_unit",
            "user",
            "token_prefix",
            "token_digest",
            "created_at",
            "expires_at",
            "revoked_at",
            "last_used_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "org_unit",
            "user",
            "token_prefix",
            "token_digest",
            "created_at",
            "revoked_at",
            "last_used_at",
        ]

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name", "expires_at"])
            return
        token, plaintext = token_issue(
            org_unit=obj.org_unit,
            user=obj.user,
            name=obj.name,
            expires_at=obj.expires_at,
            actor=request.user,
        )
        obj.pk, obj.prefix, obj.digest, obj.created_at = (
            token.pk,
            token.prefix,
            token.digest,
            token.created_at,
        )
        self.message_user(
            request,
            format_html(
                "{}<br><code style='user-select:all'>{}</code>",
                _("令牌已签发。请立即复制并安全地交给合作方：此令牌只显示这一次，系统不保存明文。"),
                plaintext,
            ),
            messages.WARNING,
        )

    @admin.action(description=_("吊销所选令牌"))
    def revoke(self, request, queryset):
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            token_revoke(token=token, actor=request.user)
            count += 1
        self.message_user(
            request,
            ngettext("已吊销 %(n)d 个令牌", "已吊销 %(n)d 个令牌", count) % {"n": count},
            messages.SUCCESS,
        )

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the row is the audit trail of who could call the API


# --- the network's life (网点流程) --------------------------------------------------------------
# State fields are read-only everywhere: applications, evaluations, trainings and a point's
# standing change through network.life.services only (the points' pages).


@admin.register(LifeRules)
class LifeRulesAdmin(admin.ModelAdmin):
    list_display = ["__str__", "grade_a", "grade_b", "grade_c", "document_warning_days"]


@admin.register(ServicePointProfile)
class ServicePointProfileAdmin(AuditHistoryAdminMixin, admin.ModelAdmin):
    list_display = ["org_unit", "grade", "status", "capacity", "contract_end"]
    list_filter = ["grade", "status"]
    search_fields = ["org_unit__code", "org_unit__name"]
    autocomplete_fields = ["org_unit"]

    def get_readonly_fields(self, request, obj=None):
        # once set, the grade changes by an evaluation's confirmation (recorded)
        return ["status", "grade"] if obj is not None else ["status"]


@admin.register(ServiceArea)
class ServiceAreaAdmin(AuditHistoryAdminMixin, admin.ModelAdmin):
    list_display = ["org_unit", "province", "city", "district"]
    search_fields = ["org_unit__code", "org_unit__name", "province", "city"]
    autocomplete_fields = ["org_unit"]


@admin.register(PointApplication)
class PointApplicationAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "parent", "state", "submitted_at"]
    list_filter = ["state"]
    search_fields = ["number", "name"]
    readonly_fields = [f.name for f in PointApplication._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(PointEvaluation)
class PointEvaluationAdmin(admin.ModelAdmin):
    list_display = ["org_unit", "period", "score", "suggested_grade", "confirmed_grade", "state"]
    list_filter = ["period", "state"]
    readonly_fields = [f.name for f in PointEvaluation._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(TrainingSession)
class TrainingSessionAdmin(admin.ModelAdmin):
    list_display = ["number", "topic", "starts_at", "mode", "state"]
    list_filter = ["state", "mode"]
    search_fields = ["number", "topic"]
    readonly_fields = ["number", "state"]

    def has_add_permission(self, request):
        return False
