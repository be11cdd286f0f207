from django.urls import re_path

from .views.activation import InboundSmsView

urlpatterns = [
    re_path(r"^sms/inbound/?$", InboundSmsView.as_view(), name="api-sms-inbound"),
]
