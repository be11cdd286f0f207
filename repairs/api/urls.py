from rest_framework.routers import SimpleRouter

from .views.advances import AdvanceViewSet, ExpenseClaimViewSet
from .views.collections import PaymentViewSet, ReceivableViewSet
from .views.field_requests import InstalledUnitViewSet, OfferViewSet, ServiceRequestViewSet
from .views.orders import QuoteViewSet, RepairOrderViewSet
from .views.returns import ApprovalStepViewSet, ReturnApplicationViewSet
from .views.settlement import SettlementLineViewSet, SettlementStatementViewSet
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
# 网点结算 (issue 20 item 7/9): a service point's statements and lines
router.register(
    "settlement/statements", SettlementStatementViewSet, basename="api-settlement-statement"
)
router.register("settlement/lines", SettlementLineViewSet, basename="api-settlement-line")
# 收款 (issue 22 item 3): a partner's receivables, payments and balance
router.register("collections/receivables", ReceivableViewSet, basename="api-receivable")
router.register("collections/payments", PaymentViewSet, basename="api-payment")
# issue 22: advances and expense claims, read-only, for the staff who file and follow them
router.register("advances", AdvanceViewSet, basename="api-advance")
router.register("expense-claims", ExpenseClaimViewSet, basename="api-expense-claim")

urlpatterns = router.urls
