"""URLs of the network's life, mounted in network/urls.py (namespace `network`)."""

from django.urls import path

from . import views

urlpatterns = [
    path("points/", views.point_list, name="point_list"),
    path("points/<int:pk>/", views.point_detail, name="point_detail"),
    path("points/<int:pk>/documents/", views.point_document_add, name="point_document_add"),
    path("points/<int:pk>/gps/", views.point_gps, name="point_gps"),
    path(
        "points/<int:pk>/<str:action>/",
        views.point_standing,
        name="point_standing",
    ),
    path("applications/", views.application_list, name="application_list"),
    path("applications/new/", views.application_new, name="application_new"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path(
        "applications/<int:pk>/<str:action>/",
        views.application_action,
        name="application_action",
    ),
    path("evaluations/", views.evaluation_list, name="evaluation_list"),
    path("evaluations/compute/", views.evaluation_compute, name="evaluation_compute"),
    path("evaluations/<int:pk>/", views.evaluation_detail, name="evaluation_detail"),
    path("trainings/", views.training_list, name="training_list"),
    path("trainings/new/", views.training_new, name="training_new"),
    path("trainings/<int:pk>/", views.training_detail, name="training_detail"),
    path("trainings/<int:pk>/<str:action>/", views.training_action, name="training_action"),
    path("people/<int:user_pk>/trainings/", views.training_record, name="training_record"),
]
