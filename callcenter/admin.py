"""Admin of the call centre. The numbers field offices and service points send activation-code
queries from, and the code store, can be edited here too (the network specialist's pages under
/callcenter/ are the everyday way; codes also by `import_activation_codes`); the queries and the
top-ups are records owned by their services and only read. The callback rules (calling windows,
retries, the no-repeat days, the dissatisfied threshold, the care SMS) and the shift groups are
edited here; callback tasks, the roster, leave, swaps and hand-overs go through their services
and are only read here."""

from django.contrib import admin

from service_ops.admin import ReadOnlyAdmin

from .models import (
    ActivationCode,
    ActivationQuery,
    CallbackRequest,
    CallbackRules,
    Customer,
    FollowUp,
    HandOver,
    InboundCall,
    Installation,
    LeaveRequest,
    PrepaidTopUp,
    RegisteredNumber,
    RosterEntry,
    ShiftGroup,
    ShiftMember,
    ShiftRules,
    ShiftSwap,
)


@admin.register(RegisteredNumber)
class RegisteredNumberAdmin(admin.ModelAdmin):
    list_display = ["phone", "org_unit", "note", "is_active"]
    list_filter = ["is_active", "org_unit__kind"]
    search_fields = ["phone", "org_unit__name", "org_unit__code"]
    autocomplete_fields = ["org_unit"]


@admin.register(ActivationCode)
class ActivationCodeAdmin(admin.ModelAdmin):
    list_display = ["serial_number", "code", "product_model", "imported_at"]
    search_fields = ["serial_number", "product_model"]


@admin.register(ActivationQuery)
class ActivationQueryAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "from_number", "sender", "serial_number", "outcome", "fee"]
    list_filter = ["outcome"]
    search_fields = ["message_id", "from_number", "serial_number"]
    date_hierarchy = "received_at"


@admin.register(PrepaidTopUp)
class PrepaidTopUpAdmin(ReadOnlyAdmin):
    """Top-ups recorded from the staff page (预存款充值): read only, like the ledger they post."""

    list_display = ["created_at", "org_unit", "amount", "bank_reference", "created_by"]
    search_fields = ["bank_reference", "org_unit__name", "org_unit__code"]
    date_hierarchy = "created_at"


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "company", "city", "org_unit", "created_at"]
    search_fields = ["name", "phone", "other_phones", "company"]
    autocomplete_fields = ["org_unit"]


# --- shifts (排班): the groups, their members and the rule numbers are edited here; the roster,
# leave, swaps and hand-overs go through their services (pages) and are only read.


@admin.register(ShiftRules)
class ShiftRulesAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "ordinary_notice_hours",
        "emergency_notice_hours",
        "holiday_notice_hours",
        "max_swaps_per_month",
    ]


class ShiftMemberInline(admin.TabularInline):
    model = ShiftMember
    autocomplete_fields = ["user"]
    extra = 1


@admin.register(ShiftGroup)
class ShiftGroupAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "lead", "starts", "ends", "pattern", "anchor", "is_active"]
    autocomplete_fields = ["lead"]
    inlines = [ShiftMemberInline]


@admin.register(RosterEntry)
class RosterEntryAdmin(ReadOnlyAdmin):
    list_display = ["day", "agent", "group", "starts_at", "ends_at", "is_working", "source"]
    list_filter = ["group", "is_working", "source"]
    date_hierarchy = "day"


@admin.register(LeaveRequest)
class LeaveRequestAdmin(ReadOnlyAdmin):
    list_display = ["number", "agent", "kind", "first_day", "last_day", "state"]
    list_filter = ["state", "kind"]


@admin.register(ShiftSwap)
class ShiftSwapAdmin(ReadOnlyAdmin):
    list_display = ["number", "requester", "requester_day", "partner", "partner_day", "state"]
    list_filter = ["state"]


@admin.register(HandOver)
class HandOverAdmin(ReadOnlyAdmin):
    list_display = ["number", "shift_day", "group", "written_by", "state"]
    list_filter = ["state"]


@admin.register(CallbackRules)
class CallbackRulesAdmin(admin.ModelAdmin):
    list_display = ["windows", "working_days_only", "max_attempts", "no_repeat_days", "updated_at"]

    def has_add_permission(self, request):
        return not CallbackRules.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CallbackRequest)
class CallbackRequestAdmin(ReadOnlyAdmin):
    list_display = ["number", "purpose", "state", "contact_name", "assignee", "due_at"]
    list_filter = ["state", "purpose"]
    search_fields = ["contact_name", "contact_phone", "customer__phone"]
    date_hierarchy = "created_at"


@admin.register(Installation)
class InstallationAdmin(admin.ModelAdmin):
    list_display = ["product_model", "serial_number", "customer", "installed_on", "org_unit"]
    search_fields = ["serial_number", "customer__phone", "customer__name"]
    autocomplete_fields = ["customer", "org_unit"]
    date_hierarchy = "installed_on"


@admin.register(InboundCall)
class InboundCallAdmin(ReadOnlyAdmin):
    """Calls are records written by the desk (callcenter.services.calls): read here only."""

    list_display = ["number", "ended_at", "agent", "caller_name", "caller_phone", "category",
                    "outcome"]  # fmt: skip
    list_filter = ["category", "outcome"]
    search_fields = ["number", "caller_phone", "serial_number"]
    date_hierarchy = "ended_at"


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdmin):
    """Follow-ups change state through their service only (run_transition): read here only."""

    list_display = ["call", "state", "assignee", "holder", "due_at", "waiting_until"]
    list_filter = ["state"]
    search_fields = ["call__number", "call__caller_phone"]
