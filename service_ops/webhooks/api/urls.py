from rest_framework.routers import SimpleRouter

from .views import WebhookDeliveryViewSet, WebhookEndpointViewSet

# The trailing slash is optional, as everywhere in the API.
router = SimpleRouter()
router.trailing_slash = "/?"
router.register("webhooks", WebhookEndpointViewSet, basename="api-webhook")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="api-webhook-delivery")

urlpatterns = router.urls
