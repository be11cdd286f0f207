"""Admin of the call centre: the numbers field offices and service points send activation-code
queries from, and the code store, are edited here (codes also by `import_activation_codes`);
the queries themselves are a record owned by the service and only read. The callback rules (calling
windows, retries, the no-repeat days, the dissatisfied threshold, the care SMS) are edited here;
callback tasks are worked through their service and only read here."""

from django.contrib import admin

from service_ops.admin import ReadOnlyAdmin

from .models import (
    ActivationCode,
    ActivationQuery,
    CallbackRequest,
    CallbackRules,
    Customer,
    Installation,
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
