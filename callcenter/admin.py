"""Admin of the call centre: the numbers field offices and service points send activation-code
queries from, and the code store, are edited here (codes also by `import_activation_codes`);
the queries themselves are a record owned by the service and only read."""

from django.contrib import admin

from service_ops.admin import ReadOnlyAdmin

from .models import (
    ActivationCode,
    ActivationQuery,
    Customer,
    FollowUp,
    InboundCall,
    RegisteredNumber,
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


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "company", "city", "org_unit", "created_at"]
    search_fields = ["name", "phone", "other_phones", "company"]
    autocomplete_fields = ["org_unit"]


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
