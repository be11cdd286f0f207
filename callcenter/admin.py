"""Admin of the call centre: the numbers field offices and service points send activation-code
queries from, and the code store, can be edited here too (the network specialist's pages under
/callcenter/ are the everyday way; codes also by `import_activation_codes`); the queries and the
top-ups are records owned by their services and only read."""

from django.contrib import admin

from service_ops.admin import ReadOnlyAdmin

from .models import ActivationCode, ActivationQuery, Customer, PrepaidTopUp, RegisteredNumber


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
