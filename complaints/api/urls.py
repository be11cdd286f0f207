from rest_framework.routers import SimpleRouter

from .views import ComplaintViewSet

# The trailing slash is optional: partners' HTTP clients rarely follow a redirect on a POST.
router = SimpleRouter()
router.trailing_slash = "/?"
router.register("complaints", ComplaintViewSet, basename="api-complaint")

urlpatterns = router.urls
