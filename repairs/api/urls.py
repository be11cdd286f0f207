from rest_framework.routers import SimpleRouter

from .views.field_requests import InstalledUnitViewSet, OfferViewSet, ServiceRequestViewSet
from .views.orders import QuoteViewSet, RepairOrderViewSet
from .views.returns import ApprovalStepViewSet, ReturnApplicationViewSet
from .views.visits import VisitViewSet

# The trailing slash is optional: partners' HTTP clients rarely follow a redirect on a POST.
router = SimpleRouter()
router.trailing_slash = "/?"  # the constructor only takes True/False ("/?" was read as True)
router.register("return-applications", ReturnApplicationViewSet, basename="api-return-application")
router.register("approval-steps", ApprovalStepViewSet, basename="api-approval-step")
router.register("repair-orders", RepairOrderViewSet, basename="api-repair-order")
router.register("quotes", QuoteViewSet, basename="api-quote")
# field service (issue 20)
router.register("installed-units", InstalledUnitViewSet, basename="api-installed-unit")
router.register("service-requests", ServiceRequestViewSet, basename="api-service-request")
router.register("service-offers", OfferViewSet, basename="api-service-offer")
router.register("visits", VisitViewSet, basename="api-visit")  # issue 20: field visits

urlpatterns = router.urls
