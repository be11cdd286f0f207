from django.urls import path

from . import views

app_name = "repairs"

urlpatterns = [
    path("returns/", views.return_list, name="return_list"),
    path("returns/<int:pk>/", views.return_detail, name="return_detail"),
    path("arrivals/<int:pk>/", views.arrival_detail, name="arrival_detail"),
    path("returned-stock/", views.returned_stock_list, name="returned_stock_list"),
]
