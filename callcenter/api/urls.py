from django.urls import re_path

from .views.activation import InboundSmsView
from .views.partner import (
    ActivationCodeQueryView,
    ActivationQueryListView,
    PrepaidBalanceView,
    PrepaidEntryListView,
)

# The trailing slash is optional, as on the other partner routes.
urlpatterns = [
    re_path(r"^sms/inbound/?$", InboundSmsView.as_view(), name="api-sms-inbound"),
    re_path(
        r"^activation-codes/query/?$",
        ActivationCodeQueryView.as_view(),
        name="api-activation-code-query",
    ),
    re_path(
        r"^activation-queries/?$",
        ActivationQueryListView.as_view(),
        name="api-activation-query-list",
    ),
    re_path(r"^prepaid/balance/?$", PrepaidBalanceView.as_view(), name="api-prepaid-balance"),
    re_path(r"^prepaid/entries/?$", PrepaidEntryListView.as_view(), name="api-prepaid-entry-list"),
]
