from django.urls import path

from .views import complaints as views

app_name = "complaints"

urlpatterns = [
    path("", views.desk, name="desk"),
    path("new/", views.new, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.attachment, name="attachment"),
    path("<int:pk>/<str:action>/", views.act, name="act"),
]
