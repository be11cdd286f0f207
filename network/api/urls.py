from django.urls import re_path
from rest_framework.routers import SimpleRouter

from .views import MeView, OrgUnitViewSet

# The trailing slash is optional: partners' HTTP clients rarely follow a redirect on a GET.
router = SimpleRouter()
router.trailing_slash = "/?"  # the constructor only takes True/False
router.register("org-units", OrgUnitViewSet, basename="api-org-unit")

urlpatterns = [
    re_path(r"^me/?$", MeView.as_view(), name="api-me"),
    *router.urls,
]
