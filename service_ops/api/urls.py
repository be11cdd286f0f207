from django.urls import include, path, re_path

from .views import AddWorkingDaysView, MyWorkView, WorkingDayView

# The trailing slash is optional: partners' HTTP clients rarely follow a redirect on a GET.
urlpatterns = [
    re_path(r"^my-work/?$", MyWorkView.as_view(), name="api-my-work"),
    re_path(r"^calendar/working-day/?$", WorkingDayView.as_view(), name="api-calendar-working-day"),
    re_path(
        r"^calendar/add-working-days/?$",
        AddWorkingDaysView.as_view(),
        name="api-calendar-add-working-days",
    ),
    path("", include("service_ops.webhooks.api.urls")),
]
