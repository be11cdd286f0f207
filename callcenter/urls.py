from django.urls import path

from .views import activation, callbacks, reports, shifts

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
]
