from django.urls import path

from . import views

app_name = "network"

urlpatterns = [
    path("staff/", views.staff_directory_page, name="staff_directory"),
    path("units/", views.org_unit_list, name="org_units"),
    path("units/<int:pk>/", views.org_unit_detail, name="org_unit_detail"),
]

# The network's life (网点流程): points, applications, evaluations, trainings.
from .life.urls import urlpatterns as life_urlpatterns  # noqa: E402

urlpatterns += life_urlpatterns
