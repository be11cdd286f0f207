from django.urls import path

from .views import activation, callbacks, reports

app_name = "callcenter"

urlpatterns = [
    path(
        "activation-queries/",
        activation.activation_query_list,
        name="activation_query_list",
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
