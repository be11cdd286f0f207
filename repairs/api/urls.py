from rest_framework.routers import SimpleRouter

from .views import ApprovalStepViewSet, ReturnApplicationViewSet

# The trailing slash is optional: partners' HTTP clients rarely follow a redirect on a POST.
router = SimpleRouter(trailing_slash="/?")
router.register("return-applications", ReturnApplicationViewSet, basename="api-return-application")
router.register("approval-steps", ApprovalStepViewSet, basename="api-approval-step")

urlpatterns = router.urls
