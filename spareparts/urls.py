from django.urls import path

from .views import catalogue, counts, faulty, planning, quotes, requests, stock

app_name = "spareparts"

urlpatterns = [
    path("", catalogue.part_list, name="part_list"),
    path("new/", catalogue.part_new, name="part_new"),
    path("import/", catalogue.part_import, name="part_import"),
    path("export/", catalogue.part_export, name="part_export"),
    path("<int:pk>/", catalogue.part_detail, name="part_detail"),
    path("<int:pk>/edit/", catalogue.part_edit, name="part_edit"),
    path("<int:pk>/picture/", catalogue.part_picture, name="part_picture"),
    path("warehouses/", stock.warehouse_list, name="warehouse_list"),
    path("warehouses/<int:pk>/", stock.warehouse_detail, name="warehouse_detail"),
    path("ledger/", stock.movement_list, name="movement_list"),
    path("receive/", stock.receive, name="receive"),
    path("transfer/", stock.transfer, name="transfer"),
    path("scrap/", stock.scrap, name="scrap"),
    path("faulty/", faulty.faulty_list, name="faulty_list"),
    path("faulty/<int:pk>/receive/", faulty.faulty_receive, name="faulty_receive"),
    path("faulty/<int:pk>/write-off/", faulty.faulty_write_off, name="faulty_write_off"),
    path("counts/", counts.count_list, name="count_list"),
    path("counts/new/", counts.count_new, name="count_new"),
    path("counts/<int:pk>/", counts.count_detail, name="count_detail"),
    path("counts/<int:pk>/<str:action>/", counts.count_act, name="count_act"),
    path("requests/", requests.request_list, name="request_list"),
    path("requests/new/", requests.request_new, name="request_new"),
    path("requests/<int:pk>/", requests.request_detail, name="request_detail"),
    path("requests/<int:pk>/<str:action>/", requests.request_act, name="request_act"),
    path("quotes/", quotes.quote_list, name="quote_list"),
    path("quotes/new/", quotes.quote_new, name="quote_new"),
    path("quotes/<int:pk>/", quotes.quote_detail, name="quote_detail"),
    path("quotes/<int:pk>/<str:action>/", quotes.quote_act, name="quote_act"),
    path("planning/", planning.reorder_list, name="reorder_list"),
    path("planning/<int:pk>/", planning.reorder_edit, name="reorder_edit"),
    path("planning/consumption/", planning.consumption_report_view, name="consumption"),
]
