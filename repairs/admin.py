"""Admin of the repairs app. The rule tables (approval chains and their steps, the return policy
numbers, the repair-limit rules by lot size, the loaner pool) are edited here; process objects
(applications, orders, quotes, arrivals, penalties…) are read-only: every change to them goes
through a service, and a state field is never a form field (DESIGN §3.1; django-fsm's admin
mixin is not used, it would bypass the services)."""

from django.contrib import admin

from service_ops.admin import ReadOnlyAdmin
from service_ops.audit.admin import AuditHistoryAdminMixin
from service_ops.audit.services import related_changes

from .models import (
    ApprovalChainTemplate,
    ApprovalStepTemplate,
    FeeRule,
    HappyFundEntry,
    Loan,
    LoanerUnit,
    LotLimitRule,
    MonthlyStatement,
    Penalty,
    Quote,
    RepairOrder,
    ReturnApplication,
    ReturnedStockApplication,
    ReturnPolicy,
    ReviewMeeting,
    SettlementStatement,
    UnauthorisedArrival,
)

# --- rule tables ------------------------------------------------------------------------------


class ApprovalStepTemplateInline(admin.TabularInline):
    model = ApprovalStepTemplate
    extra = 0
    ordering = ["position"]
    fields = ["position", "name", "role", "holder_scope", "deadline_policy"]


@admin.register(ApprovalChainTemplate)
class ApprovalChainTemplateAdmin(AuditHistoryAdminMixin, admin.ModelAdmin):
    """A chain is copied onto each application at submission: editing it changes the
    applications submitted afterwards, never the running ones."""

    list_display = ["name", "platform"]
    search_fields = ["name"]
    inlines = [ApprovalStepTemplateInline]

    def audit_entries(self, obj):
        """The chain and its steps (removed ones too: their rows named the chain)."""
        return related_changes(obj, ApprovalStepTemplate, "chain", limit=self.audit_history_limit)


@admin.register(ReturnPolicy)
class ReturnPolicyAdmin(AuditHistoryAdminMixin, admin.ModelAdmin):
    """One row: the numbers of the return and penalty rules (ReturnPolicy.current())."""

    list_display = [
        "__str__",
        "fine_min",
        "fine_max",
        "engineer_points",
        "returned_stock_pmc_threshold",
        "province_ranking_top",
        "branch_ranking_top",
    ]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not ReturnPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LotLimitRule)
class LotLimitRuleAdmin(AuditHistoryAdminMixin, admin.ModelAdmin):
    list_display = ["min_units", "max_units", "policy"]
    list_select_related = ["policy"]


@admin.register(LoanerUnit)
class LoanerUnitAdmin(AuditHistoryAdminMixin, admin.ModelAdmin):
    """The loaner pool. Whether a unit is in stock follows its loans (lent / returned through
    the services), so it is shown, never edited."""

    list_display = ["serial_number", "product_model", "is_available", "note"]
    list_filter = ["is_available"]
    search_fields = ["serial_number", "product_model"]
    readonly_fields = ["is_available"]


# --- process objects: read-only (the services and their transition log own these rows) ------


@admin.register(ReturnApplication)
class ReturnApplicationAdmin(ReadOnlyAdmin):
    list_display = ["number", "state", "platform", "branch", "dealer", "created_at"]
    list_filter = ["state", "platform"]
    list_select_related = ["branch", "dealer"]
    search_fields = ["number"]


@admin.register(UnauthorisedArrival)
class UnauthorisedArrivalAdmin(ReadOnlyAdmin):
    list_display = ["number", "state", "shipper_unit", "units", "arrived_at"]
    list_filter = ["state"]
    list_select_related = ["shipper_unit"]
    search_fields = ["number"]


@admin.register(Penalty)
class PenaltyAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "arrival", "kind", "state", "amount"]
    list_filter = ["state", "kind"]
    list_select_related = ["arrival", "person", "org_unit"]
    search_fields = ["arrival__number"]


@admin.register(HappyFundEntry)
class HappyFundEntryAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "amount"]


@admin.register(ReturnedStockApplication)
class ReturnedStockApplicationAdmin(ReadOnlyAdmin):
    list_display = ["number", "state", "route", "product_models", "quantity"]
    list_filter = ["state", "route"]
    search_fields = ["number", "product_models"]


@admin.register(RepairOrder)
class RepairOrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "state", "serial_number", "product_model", "technician"]
    list_filter = ["state"]
    list_select_related = ["technician"]
    search_fields = ["number", "serial_number"]


@admin.register(Quote)
class QuoteAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "state"]
    list_filter = ["state"]
    list_select_related = ["order"]
    search_fields = ["order__number"]


@admin.register(Loan)
class LoanAdmin(ReadOnlyAdmin):
    list_display = ["loaner", "order", "state", "due_back"]
    list_filter = ["state"]
    list_select_related = ["loaner", "order"]
    search_fields = ["loaner__serial_number", "order__number"]


@admin.register(ReviewMeeting)
class ReviewMeetingAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "held_on"]


@admin.register(MonthlyStatement)
class MonthlyStatementAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "branch",
        "month",
        "state",
        "total",
        "settled_on",
        "settled_amount",
        "settlement_reference",
    ]
    list_filter = ["state"]
    list_select_related = ["branch"]


# --- settlement with service points (网点结算, issue 20 item 7) ---------------------------------


@admin.register(FeeRule)
class FeeRuleAdmin(AuditHistoryAdminMixin, admin.ModelAdmin):
    """Fee rules are data. A rule that priced a line is never edited (what was paid must stay
    explained by it): only its end date may be set, to make way for a new rule; the staff
    screen (网点服务费规则) does the same through the services."""

    list_display = [
        "id",
        "category",
        "grade",
        "km_from",
        "km_to",
        "product_model",
        "warranty",
        "amount",
        "effective_from",
        "effective_to",
    ]
    list_filter = ["category", "grade", "warranty"]
    search_fields = ["product_model", "note"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.lines.exists():
            return [f.name for f in obj._meta.fields if f.name != "effective_to"]
        return ["created_by", "created_at"]

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.lines.exists()

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(SettlementStatement)
class SettlementStatementAdmin(ReadOnlyAdmin):
    list_display = ["number", "point", "month", "state", "total"]
    list_filter = ["state", "month"]
    list_select_related = ["point"]
    search_fields = ["number", "point__name", "point__code"]


# --- car-factory units (车厂回购机流程, issue 22): master data editable, process rows read-only ---
from .models import (  # noqa: E402  (kept beside its admin so merges stay simple)
    BackupSwap,
    BackupUnit,
    BuybackBatch,
    OemCustomer,
    OemReconciliation,
    OemStore,
)


class OemStoreInline(admin.TabularInline):
    model = OemStore
    extra = 0
    fields = ["code", "name", "kind", "city", "contact", "phone", "is_active"]


@admin.register(OemCustomer)
class OemCustomerAdmin(AuditHistoryAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "contact", "phone", "is_active"]
    search_fields = ["code", "name"]
    inlines = [OemStoreInline]


@admin.register(OemStore)
class OemStoreAdmin(AuditHistoryAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "oem", "kind", "city", "is_active"]
    list_filter = ["oem", "kind", "is_active"]
    list_select_related = ["oem"]
    search_fields = ["code", "name", "city"]


@admin.register(BackupUnit)
class BackupUnitAdmin(admin.ModelAdmin):
    """Units join the pool here (in the pool); their state moves only through the pages."""

    list_display = ["serial_number", "product_model", "oem", "state"]
    list_filter = ["oem", "state"]
    list_select_related = ["oem"]
    search_fields = ["serial_number", "product_model"]
    readonly_fields = ["state", "created_at"]

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.swaps.exists()


@admin.register(BuybackBatch)
class BuybackBatchAdmin(ReadOnlyAdmin):
    list_display = ["number", "oem", "received_on", "unit_count", "state"]
    list_filter = ["state", "oem"]
    list_select_related = ["oem"]
    search_fields = ["number", "oem_reference"]


@admin.register(BackupSwap)
class BackupSwapAdmin(ReadOnlyAdmin):
    list_display = ["number", "store", "backup", "lent_on", "due_back", "state"]
    list_filter = ["state", "oem"]
    list_select_related = ["store", "backup"]
    search_fields = ["number", "failed_serial", "backup__serial_number"]


@admin.register(OemReconciliation)
class OemReconciliationAdmin(ReadOnlyAdmin):
    list_display = ["oem", "month", "state", "sent_at", "answered_at"]
    list_filter = ["state", "oem"]


# --- collections (收款, issue 22 item 3) --------------------------------------------------------
# The terms are a rule row (edited, audited); receivables, payments and transfers are read-only:
# they change only through repairs.services.collections.
from .models import CollectionPolicy, Payment, Receivable, Transfer  # noqa: E402


@admin.register(CollectionPolicy)
class CollectionPolicyAdmin(AuditHistoryAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "statement_terms_days", "parts_terms_days"]


@admin.register(Receivable)
class ReceivableAdmin(ReadOnlyAdmin):
    list_display = ["number", "partner", "source", "amount", "paid_amount", "due_on", "state"]
    list_filter = ["state", "source"]
    list_select_related = ["partner"]
    search_fields = ["number", "partner__name", "partner__code"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["number", "partner", "method", "amount", "received_on", "state"]
    list_filter = ["state", "method"]
    list_select_related = ["partner"]
    search_fields = ["number", "reference", "partner__name"]


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ["number", "partner", "amount", "settled_on", "reference", "state"]
    list_filter = ["state"]
    list_select_related = ["partner"]
    search_fields = ["number", "reference", "partner__name"]


# --- advances and expense claims (issue 22) ----------------------------------------------------
from .models.advances import (  # noqa: E402
    Advance,
    ExpenseClaim,
    ExpenseLimit,
    MoneyChainTemplate,
    MoneyPolicy,
    MoneyStepTemplate,
)


class MoneyStepTemplateInline(admin.TabularInline):
    model = MoneyStepTemplate
    extra = 0
    ordering = ["position"]
    fields = ["position", "name", "role", "holder_scope", "condition", "deadline_policy"]


@admin.register(MoneyChainTemplate)
class MoneyChainTemplateAdmin(AuditHistoryAdminMixin, admin.ModelAdmin):
    """Copied onto each advance or claim at submission: an edit changes later submissions only."""

    list_display = ["name", "kind"]
    inlines = [MoneyStepTemplateInline]

    def audit_entries(self, obj):
        return related_changes(obj, MoneyStepTemplate, "chain", limit=self.audit_history_limit)


@admin.register(MoneyPolicy)
class MoneyPolicyAdmin(AuditHistoryAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "finance_threshold", "reminder_days", "reminder_every_days"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not MoneyPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExpenseLimit)
class ExpenseLimitAdmin(AuditHistoryAdminMixin, admin.ModelAdmin):
    list_display = ["category", "per_line", "per_day"]


@admin.register(Advance)
class AdvanceAdmin(ReadOnlyAdmin):
    list_display = ["number", "state", "requester", "amount", "settled_amount", "paid_on"]
    list_filter = ["state"]
    list_select_related = ["requester"]
    search_fields = ["number"]


@admin.register(ExpenseClaim)
class ExpenseClaimAdmin(ReadOnlyAdmin):
    list_display = ["number", "state", "requester", "total", "deducted", "net_paid", "paid_on"]
    list_filter = ["state", "over_limit"]
    list_select_related = ["requester"]
    search_fields = ["number"]
