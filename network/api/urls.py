from django.urls import re_path
from rest_framework.routers import SimpleRouter

from network.life.api import ServicePointViewSet

from .views import MeView, OrgUnitViewSet, TokenRotateView

# The trailing slash is optional: partners' HTTP clients rarely follow a redirect on a GET.
router = SimpleRouter()
router.trailing_slash = "/?"  # the constructor only takes True/False
router.register("org-units", OrgUnitViewSet, basename="api-org-unit")
router.register("service-points", ServicePointViewSet, basename="api-service-point")

urlpatterns = [
    re_path(r"^me/?$", MeView.as_view(), name="api-me"),
    re_path(r"^me/token/rotate/?$", TokenRotateView.as_view(), name="api-token-rotate"),
    *router.urls,
]
