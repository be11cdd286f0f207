from django.urls import path

from .views import activation, callbacks, calls, codes, numbers, prepaid, reports, shifts

app_name = "callcenter"

urlpatterns = [
    path(
        "activation-queries/",
        activation.activation_query_list,
        name="activation_query_list",
    ),
    # shifts (排班, seed 004)
    path("shifts/", shifts.roster, name="roster"),
    path("shifts/generate/", shifts.roster_generate, name="roster_generate"),
    path("shifts/day/", shifts.roster_day, name="roster_day"),
    path("shifts/mine/", shifts.my_shifts, name="my_shifts"),
    path("shifts/leave/", shifts.leave_list, name="leave_list"),
    path("shifts/leave/new/", shifts.leave_new, name="leave_new"),
    path("shifts/leave/<int:pk>/", shifts.leave_detail, name="leave_detail"),
    path("shifts/leave/<int:pk>/<str:action>/", shifts.leave_act, name="leave_act"),
    path("shifts/swaps/", shifts.swap_list, name="swap_list"),
    path("shifts/swaps/new/", shifts.swap_new, name="swap_new"),
    path("shifts/swaps/<int:pk>/", shifts.swap_detail, name="swap_detail"),
    path("shifts/swaps/<int:pk>/<str:action>/", shifts.swap_act, name="swap_act"),
    path("shifts/handovers/", shifts.handover_list, name="handover_list"),
    path("shifts/handovers/new/", shifts.handover_new, name="handover_new"),
    path("shifts/handovers/<int:pk>/", shifts.handover_detail, name="handover_detail"),
    path(
        "shifts/handovers/<int:pk>/acknowledge/",
        shifts.handover_acknowledge,
        name="handover_acknowledge",
    ),
    # callbacks (回访)
    path("callbacks/queue/", callbacks.callback_queue, name="callback_queue"),
    path("callbacks/queue/next/", callbacks.callback_take_next, name="callback_take_next"),
    path("callbacks/", callbacks.callback_list, name="callback_list"),
    path("callbacks/assign/", callbacks.callback_assign, name="callback_assign"),
    path("callbacks/<int:pk>/", callbacks.callback_detail, name="callback_detail"),
    path("callbacks/<int:pk>/take/", callbacks.callback_take, name="callback_take"),
    path("callbacks/<int:pk>/call/", callbacks.callback_call, name="callback_call"),
    path(
        "callbacks/<int:pk>/preferred-time/",
        callbacks.callback_preferred,
        name="callback_preferred",
    ),
    path("callbacks/<int:pk>/cancel/", callbacks.callback_cancel, name="callback_cancel"),
    path("installations/", callbacks.installation_list, name="installation_list"),
    path("installations/new/", callbacks.installation_create, name="installation_create"),
    path("reports/callbacks/", reports.callback_report_page, name="callback_report"),
    path("reports/callbacks.xlsx", reports.callback_report_xlsx, name="callback_report_xlsx"),
    # registered numbers (登记号码)
    path("numbers/", numbers.number_list, name="number_list"),
    path("numbers/new/", numbers.number_create, name="number_create"),
    path("numbers/<int:pk>/edit/", numbers.number_edit, name="number_edit"),
    path("numbers/<int:pk>/deactivate/", numbers.number_deactivate, name="number_deactivate"),
    path("numbers/<int:pk>/reactivate/", numbers.number_reactivate, name="number_reactivate"),
    # the code store (激活码库)
    path("codes/", codes.code_list, name="code_list"),
    path("codes/import/", codes.code_import, name="code_import"),
    path("codes/import/<int:pk>/", codes.code_import_status, name="code_import_status"),
    # prepaid balances and top-ups (预存款、充值)
    path("prepaid/", prepaid.prepaid_unit_list, name="prepaid_unit_list"),
    path("prepaid/<int:pk>/", prepaid.prepaid_ledger, name="prepaid_ledger"),
    path("prepaid/<int:pk>/top-up/", prepaid.prepaid_top_up_page, name="prepaid_top_up"),
    # the inbound call log (来电登记) and its follow-ups (跟进事项)
    path("calls/new/", calls.call_desk, name="call_desk"),
    path("calls/lookup/", calls.caller_lookup, name="caller_lookup"),
    path("calls/history/", calls.caller_history_panel, name="caller_history"),
    path("calls/", calls.call_list, name="call_list"),
    path("calls/<int:pk>/", calls.call_detail, name="call_detail"),
    path("calls/<int:pk>/take-over/", calls.call_take_over, name="call_take_over"),
    path("follow-ups/", calls.follow_up_list, name="follow_up_list"),
    path("follow-ups/<int:pk>/", calls.follow_up_detail, name="follow_up_detail"),
    path("follow-ups/<int:pk>/<str:action>/", calls.follow_up_act, name="follow_up_act"),
]
