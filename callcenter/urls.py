from django.urls import path

from .views import activation, calls

app_name = "callcenter"

urlpatterns = [
    path(
        "activation-queries/",
        activation.activation_query_list,
        name="activation_query_list",
    ),
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
