from django.urls import path

from .views import arrivals, orders, parts, ranking, reports, returns, stock

app_name = "repairs"

urlpatterns = [
    # return-to-factory applications
    path("returns/", returns.return_list, name="return_list"),
    path("returns/new/", returns.return_create, name="return_create"),
    path("returns/intake/", returns.return_intake, name="return_intake"),
    path("returns/<int:pk>/intake-scan/", returns.intake_scan, name="intake_scan"),
    path("returns/new/line/", returns.return_line_row, name="return_line_row"),
    path("returns/<int:pk>/", returns.return_detail, name="return_detail"),
    path("returns/<int:pk>/edit/", returns.return_edit, name="return_edit"),
    path("returns/<int:pk>/submit/", returns.return_submit, name="return_submit"),
    path("returns/<int:pk>/withdraw/", returns.return_withdraw, name="return_withdraw"),
    path("returns/<int:pk>/print/", returns.return_print, name="return_print"),
    path("returns/<int:pk>/attachments/", returns.attachment_upload, name="attachment_upload"),
    path(
        "returns/<int:pk>/attachments/<int:attachment_pk>/",
        returns.attachment_download,
        name="attachment_download",
    ),
    path("returns/<int:pk>/book-pickup/", returns.return_book_pickup, name="return_book_pickup"),
    path("returns/<int:pk>/pickup/", returns.return_record_pickup, name="return_record_pickup"),
    path("returns/<int:pk>/receive/", returns.return_receive, name="return_receive"),
    path("returns/<int:pk>/close/", returns.return_close, name="return_close"),
    # approvals
    path("signatures/", returns.signature_queue_page, name="signature_queue"),
    path("steps/<int:pk>/decide/", returns.step_decide, name="step_decide"),
    # logistics
    path("logistics/", returns.logistics_board_page, name="logistics_board"),
    # unauthorised arrivals, penalties, happy fund
    path("arrivals/", arrivals.arrival_list, name="arrival_list"),
    path("arrivals/new/", arrivals.arrival_create, name="arrival_create"),
    path("arrivals/<int:pk>/", arrivals.arrival_detail, name="arrival_detail"),
    path("penalties/", arrivals.penalty_list, name="penalty_list"),
    path("penalties/<int:pk>/confirm/", arrivals.penalty_confirm, name="penalty_confirm"),
    path("penalties/<int:pk>/waive/", arrivals.penalty_waive, name="penalty_waive"),
    path("happy-fund/", arrivals.happy_fund, name="happy_fund"),
    # returned stock (呆滞/退货产品处理申请)
    path("returned-stock/", stock.returned_stock_list, name="returned_stock_list"),
    path("returned-stock/new/", stock.returned_stock_create, name="returned_stock_create"),
    path("returned-stock/route/", stock.returned_stock_route, name="returned_stock_route"),
    path("returned-stock/<int:pk>/", stock.returned_stock_detail, name="returned_stock_detail"),
    path("returned-stock/<int:pk>/task-order/", stock.task_order_print, name="task_order_print"),
    path(
        "returned-stock/<int:pk>/<slug:action>/",
        stock.returned_stock_act,
        name="returned_stock_act",
    ),
    path("task-orders/", stock.task_order_list, name="task_order_list"),
    # year-end ranking
    path("ranking/", ranking.ranking, name="ranking"),
    # issue 21: the repairs reports
    path("reports/", reports.report, name="report"),
    path("ranking/export/", ranking.ranking_export, name="ranking_export"),
    # repair orders (orders.py)
    path("orders/", orders.order_list, name="order_list"),
    path("orders/queue/", orders.technician_queue, name="technician_queue"),
    path("orders/board/", orders.order_board, name="order_board"),
    path("orders/delay-notice/", orders.delay_notice_create, name="delay_notice_create"),
    path(
        "orders/<int:pk>/quotes/<int:quote_pk>/signed-copy/",
        orders.quote_signed_copy,
        name="quote_signed_copy",
    ),
    path("orders/<int:pk>/", orders.order_detail, name="order_detail"),
    path("orders/<int:pk>/label/", orders.order_packing_label, name="order_packing_label"),
    path("orders/<int:pk>/do/<slug:action>/", orders.order_act, name="order_act"),
    path("orders/<int:pk>/replacement/", parts.order_replacement, name="order_replacement"),
    path(
        "orders/<int:pk>/form/<slug:action>/",
        orders.order_action_form,
        name="order_action_form",
    ),
    path("lots/<int:pk>/", orders.lot_detail, name="lot_detail"),
    path("loaners/", orders.loaner_list, name="loaner_list"),
    path("loans/<int:pk>/return/", orders.loan_return, name="loan_return"),
    path("reviews/", orders.review_list, name="review_list"),
    path("reviews/build/", orders.review_build, name="review_build"),
    path("reviews/<int:pk>/", orders.review_detail, name="review_detail"),
    path("reviews/items/<int:pk>/decide/", orders.review_decide, name="review_decide"),
    path("statements/", orders.statement_list, name="statement_list"),
    path("statements/build/", orders.statement_build, name="statement_build"),
    path("statements/<int:pk>/", orders.statement_detail, name="statement_detail"),
    path("statements/<int:pk>/confirm/", orders.statement_confirm, name="statement_confirm"),
    path("statements/<int:pk>/hand-over/", orders.statement_hand_over, name="statement_hand_over"),
    path("statements/<int:pk>/settle/", orders.statement_settle, name="statement_settle"),
    path(
        "statements/<int:pk>/xlsx/",
        orders.statement_export,
        {"fmt": "xlsx"},
        name="statement_xlsx",
    ),
    path(
        "statements/<int:pk>/pdf/",
        orders.statement_export,
        {"fmt": "pdf"},
        name="statement_pdf",
    ),
]
