from django.urls import re_path
from rest_framework.routers import SimpleRouter

from .views.catalogue import AvailabilityView, PartViewSet
from .views.faulty import FaultyReturnListView
from .views.requests import DealerQuoteViewSet, PartRequestViewSet

router = SimpleRouter()
router.trailing_slash = "/?"
# the requests and quotes before the catalogue, so "parts/requests" is not read as a part id
router.register("parts/requests", PartRequestViewSet, basename="api-part-request")
router.register("parts/quotes", DealerQuoteViewSet, basename="api-part-quote")
router.register("parts", PartViewSet, basename="api-part")

# The trailing slash is optional, as on the other partner routes. Before the router's routes so
# "parts/availability" is not read as a part id.
urlpatterns = [
    re_path(r"^parts/availability/?$", AvailabilityView.as_view(), name="api-part-availability"),
    re_path(r"^parts/faulty/?$", FaultyReturnListView.as_view(), name="api-part-faulty"),
    *router.urls,
]
