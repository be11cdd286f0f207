from django.urls import path

from . import views

app_name = "complaints"

urlpatterns = [
    path("", views.desk, name="desk"),
    path("new/", views.new, name="new"),
    path("statistics/", views.statistics, name="statistics"),
    path("statistics.xlsx", views.statistics_xlsx, name="statistics_xlsx"),
    path("serial/", views.serial_search, name="serial_search"),
    path("serial/<path:serial>/", views.serial_timeline, name="serial_timeline"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.attachment, name="attachment"),
    path("<int:pk>/<str:action>/", views.act, name="act"),
]
