"""The public page a unit's QR code opens (/u/<token>/): no login, mounted at the site's root
through the plugin's extra_web_urls."""

from django.urls import path

from .views import field_requests as views

app_name = "qr"

urlpatterns = [
    path("<str:token>/", views.qr_unit_page, name="unit_page"),
    path("<str:token>/thanks/", views.qr_thanks, name="thanks"),
]
