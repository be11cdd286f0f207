from django.urls import path

from .views import (
    arrivals,
    collections,
    field_requests,
    orders,
    parts,
    ranking,
    reports,
    returns,
    settlement,
    stock,
    visits,
)
from .views import oem as oem_views

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
    path("reports/supervision/", reports.supervision, name="supervision_report"),
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
    # field service (issue 20): installed base, service requests, dispatch offers, appointments
    path("field/units/", field_requests.installed_unit_list, name="installed_unit_list"),
    path("field/units/new/", field_requests.installed_unit_edit, name="installed_unit_new"),
    path(
        "field/units/<int:pk>/", field_requests.installed_unit_detail, name="installed_unit_detail"
    ),
    path(
        "field/units/<int:pk>/edit/", field_requests.installed_unit_edit, name="installed_unit_edit"
    ),
    path(
        "field/units/<int:pk>/label/",
        field_requests.installed_unit_label,
        name="installed_unit_label",
    ),
    path("field/requests/", field_requests.service_request_list, name="service_request_list"),
    path("field/requests/new/", field_requests.service_request_new, name="service_request_new"),
    path(
        "field/requests/<int:pk>/",
        field_requests.service_request_detail,
        name="service_request_detail",
    ),
    path(
        "field/requests/<int:pk>/do/<slug:action>/",
        field_requests.service_request_act,
        name="service_request_act",
    ),
    path("field/offers/", field_requests.offer_list, name="offer_list"),
    path("field/offers/<int:pk>/", field_requests.offer_detail, name="offer_detail"),
    path("field/offers/<int:pk>/do/<slug:action>/", field_requests.offer_act, name="offer_act"),
    path(
        "field/visits/<int:pk>/appointment/",
        field_requests.visit_appointment,
        name="visit_appointment",
    ),
    # field service: visits on site (issue 20, field-visit)
    path("field/visits/", visits.visit_list, name="visit_list"),
    path("field/visits/<int:pk>/", visits.visit_detail, name="visit_detail"),
    path("field/visits/<int:pk>/check-in/", visits.visit_check_in, name="visit_check_in"),
    path("field/visits/<int:pk>/photos/", visits.visit_photo_upload, name="visit_photo_upload"),
    path("field/visits/<int:pk>/photos/<int:photo_pk>/", visits.visit_photo, name="visit_photo"),
    path(
        "field/visits/<int:pk>/photos/<int:photo_pk>/delete/",
        visits.visit_photo_delete,
        name="visit_photo_delete",
    ),
    path("field/visits/<int:pk>/report/", visits.visit_report, name="visit_report"),
    path("field/visits/<int:pk>/parts/", visits.visit_part_add, name="visit_part_add"),
    path(
        "field/visits/<int:pk>/parts/<int:line_pk>/remove/",
        visits.visit_part_remove,
        name="visit_part_remove",
    ),
    path("field/visits/<int:pk>/sign/", visits.visit_sign, name="visit_sign"),
    path("field/visits/<int:pk>/signature.png", visits.visit_signature, name="visit_signature"),
    path("field/visits/<int:pk>/finish/", visits.visit_finish, name="visit_finish"),
    path("field/visits/<int:pk>/record.pdf", visits.visit_record, name="visit_record_pdf"),
    path("field/requests/<int:pk>/fault/", visits.request_fault, name="request_fault"),
    # settlement with service points (网点结算, issue 20 item 7)
    path("settlement/", settlement.settlement_list, name="settlement_list"),
    path("settlement/build/", settlement.settlement_build, name="settlement_build"),
    path("settlement/<int:pk>/", settlement.settlement_detail, name="settlement_detail"),
    path(
        "settlement/<int:pk>/do/<slug:action>/",
        settlement.settlement_act,
        name="settlement_act",
    ),
    path(
        "settlement/lines/<int:pk>/<slug:action>/",
        settlement.settlement_line_act,
        name="settlement_line_act",
    ),
    path(
        "settlement/<int:pk>/xlsx/",
        settlement.settlement_export,
        {"fmt": "xlsx"},
        name="settlement_xlsx",
    ),
    path(
        "settlement/<int:pk>/pdf/",
        settlement.settlement_export,
        {"fmt": "pdf"},
        name="settlement_pdf",
    ),
    path("settlement/rules/", settlement.fee_rule_list, name="fee_rule_list"),
    path("settlement/rules/new/", settlement.fee_rule_new, name="fee_rule_new"),
    path("settlement/rules/<int:pk>/end/", settlement.fee_rule_end, name="fee_rule_end"),
    # collections (收款, issue 22 item 3)
    path("collections/", collections.collection_desk, name="collection_desk"),
    path("collections/receivables/", collections.receivable_list, name="receivable_list"),
    path(
        "collections/receivables/xlsx/",
        collections.receivable_export,
        name="receivable_export",
    ),
    path(
        "collections/receivables/<int:pk>/",
        collections.receivable_detail,
        name="receivable_detail",
    ),
    path(
        "collections/receivables/<int:pk>/write-off/",
        collections.receivable_write_off,
        name="receivable_write_off",
    ),
    path(
        "collections/receivables/<int:pk>/transfer/",
        collections.transfer_propose,
        name="transfer_propose",
    ),
    path(
        "collections/transfers/<int:pk>/<slug:action>/",
        collections.transfer_act,
        name="transfer_act",
    ),
    path("collections/pay/", collections.payment_new, name="payment_new"),
    path("collections/payments/<int:pk>/", collections.payment_detail, name="payment_detail"),
    path(
        "collections/payments/<int:pk>/reverse/",
        collections.payment_reverse,
        name="payment_reverse",
    ),
    path("collections/ageing/", collections.collection_ageing, name="collection_ageing"),
    path(
        "collections/account/<int:partner_pk>/",
        collections.partner_account,
        name="partner_account",
    ),
    path(
        "collections/account/<int:partner_pk>/xlsx/",
        collections.partner_account_export,
        name="partner_account_export",
    ),
    path("collections/mine/", collections.my_account, name="my_account"),
]

# car-factory units (车厂回购机流程: 回购机, 江淮备用机; issue 22 items 4 and 5)
urlpatterns += [
    path("oem/batches/", oem_views.oem_batch_list, name="oem_batch_list"),
    path("oem/batches/new/", oem_views.oem_batch_create, name="oem_batch_create"),
    path("oem/batches/<int:pk>/", oem_views.oem_batch_detail, name="oem_batch_detail"),
    path(
        "oem/batches/<int:pk>/report.xlsx",
        oem_views.oem_batch_report,
        {"fmt": "xlsx"},
        name="oem_batch_report_xlsx",
    ),
    path(
        "oem/batches/<int:pk>/report.pdf",
        oem_views.oem_batch_report,
        {"fmt": "pdf"},
        name="oem_batch_report_pdf",
    ),
    path("oem/units/<int:pk>/<slug:action>/", oem_views.oem_unit_act, name="oem_unit_act"),
    path("oem/backups/", oem_views.oem_backup_list, name="oem_backup_list"),
    path("oem/backups/<int:pk>/lend/", oem_views.oem_backup_lend, name="oem_backup_lend"),
    path("oem/backups/<int:pk>/<slug:action>/", oem_views.oem_backup_act, name="oem_backup_act"),
    path("oem/swaps/", oem_views.oem_swap_list, name="oem_swap_list"),
    path("oem/swaps/<int:pk>/", oem_views.oem_swap_detail, name="oem_swap_detail"),
    path("oem/swaps/<int:pk>/<slug:action>/", oem_views.oem_swap_act, name="oem_swap_act"),
    path("oem/reconciliation/", oem_views.oem_reconciliation, name="oem_reconciliation"),
    path(
        "oem/reconciliation/export.xlsx",
        oem_views.oem_reconciliation_export,
        name="oem_reconciliation_export",
    ),
]
