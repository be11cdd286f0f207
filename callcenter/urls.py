from django.urls import path

from .views import activation, shifts

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
]
