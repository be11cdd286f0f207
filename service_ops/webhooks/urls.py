from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoint_list, name="endpoint_list"),
    path("<int:pk>/", views.endpoint_detail, name="endpoint_detail"),
    path("<int:pk>/test/", views.endpoint_test, name="endpoint_test"),
    path("<int:pk>/enable/", views.endpoint_enable, name="endpoint_enable"),
    path("deliveries/<int:pk>/resend/", views.delivery_resend, name="delivery_resend"),
]
