"""Admin of webhooks: read-mostly (the secret never shows; endpoints are registered by partners
through the API, deliveries written by the outbox)."""

from django.contrib import admin

from .models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "org_unit", "is_active", "consecutive_dead", "last_success_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "org_unit__name", "org_unit__code"]
    raw_id_fields = ["org_unit"]
    readonly_fields = [
        "secret_hint",
        "consecutive_dead",
        "failing_since",
        "last_success_at",
        "disabled_at",
        "disabled_reason",
        "created_by",
        "created_at",
    ]
    exclude = ["secret", "previous_secret", "previous_secret_expires_at"]

    def has_add_permission(self, request):
        return False  # registered through the API: the secret is shown once, there


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event_type", "endpoint", "state", "attempts", "next_attempt_at", "created_at"]
    list_filter = ["state", "event_type"]
    raw_id_fields = ["endpoint", "resend_of", "requested_by"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False
