from django.urls import path

from . import order_views, views

app_name = "repairs"

urlpatterns = [
    # return-to-factory applications
    path("returns/", views.return_list, name="return_list"),
    path("returns/new/", views.return_create, name="return_create"),
    path("returns/new/line/", views.return_line_row, name="return_line_row"),
    path("returns/<int:pk>/", views.return_detail, name="return_detail"),
    path("returns/<int:pk>/edit/", views.return_edit, name="return_edit"),
    path("returns/<int:pk>/submit/", views.return_submit, name="return_submit"),
    path("returns/<int:pk>/withdraw/", views.return_withdraw, name="return_withdraw"),
    path("returns/<int:pk>/print/", views.return_print, name="return_print"),
    path("returns/<int:pk>/attachments/", views.attachment_upload, name="attachment_upload"),
    path(
        "returns/<int:pk>/attachments/<int:attachment_pk>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path("returns/<int:pk>/book-pickup/", views.return_book_pickup, name="return_book_pickup"),
    path("returns/<int:pk>/pickup/", views.return_record_pickup, name="return_record_pickup"),
    path("returns/<int:pk>/receive/", views.return_receive, name="return_receive"),
    path("returns/<int:pk>/close/", views.return_close, name="return_close"),
    # approvals
    path("signatures/", views.signature_queue_page, name="signature_queue"),
    path("steps/<int:pk>/decide/", views.step_decide, name="step_decide"),
    # logistics
    path("logistics/", views.logistics_board_page, name="logistics_board"),
    # unauthorised arrivals, penalties, happy fund
    path("arrivals/", views.arrival_list, name="arrival_list"),
    path("arrivals/new/", views.arrival_create, name="arrival_create"),
    path("arrivals/<int:pk>/", views.arrival_detail, name="arrival_detail"),
    path("penalties/", views.penalty_list, name="penalty_list"),
    path("penalties/<int:pk>/confirm/", views.penalty_confirm, name="penalty_confirm"),
    path("penalties/<int:pk>/waive/", views.penalty_waive, name="penalty_waive"),
    path("happy-fund/", views.happy_fund, name="happy_fund"),
    # returned stock (呆滞/退货产品处理申请)
    path("returned-stock/", views.returned_stock_list, name="returned_stock_list"),
    path("returned-stock/new/", views.returned_stock_create, name="returned_stock_create"),
    path("returned-stock/route/", views.returned_stock_route, name="returned_stock_route"),
    path(
        "returned-stock/<int:pk>/<slug:transition>/",
        views.returned_stock_transition,
        name="returned_stock_transition",
    ),
    # year-end ranking
    path("ranking/", views.ranking, name="ranking"),
    path("ranking/export/", views.ranking_export, name="ranking_export"),
    # repair orders (order_views.py)
    path("orders/", order_views.order_list, name="order_list"),
    path("orders/queue/", order_views.technician_queue, name="technician_queue"),
    path("orders/board/", order_views.order_board, name="order_board"),
    path("orders/<int:pk>/", order_views.order_detail, name="order_detail"),
    path("orders/<int:pk>/do/<slug:action>/", order_views.order_act, name="order_act"),
    path("lots/<int:pk>/", order_views.lot_detail, name="lot_detail"),
    path("loaners/", order_views.loaner_list, name="loaner_list"),
    path("loans/<int:pk>/return/", order_views.loan_return, name="loan_return"),
    path("reviews/", order_views.review_list, name="review_list"),
    path("reviews/build/", order_views.review_build, name="review_build"),
    path("reviews/<int:pk>/", order_views.review_detail, name="review_detail"),
    path("reviews/items/<int:pk>/decide/", order_views.review_decide, name="review_decide"),
    path("statements/", order_views.statement_list, name="statement_list"),
    path("statements/build/", order_views.statement_build, name="statement_build"),
    path("statements/<int:pk>/", order_views.statement_detail, name="statement_detail"),
    path("statements/<int:pk>/confirm/", order_views.statement_confirm, name="statement_confirm"),
    path(
        "statements/<int:pk>/xlsx/",
        order_views.statement_export,
        {"fmt": "xlsx"},
        name="statement_xlsx",
    ),
    path(
        "statements/<int:pk>/pdf/",
        order_views.statement_export,
        {"fmt": "pdf"},
        name="statement_pdf",
    ),
]
