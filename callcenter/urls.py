from django.urls import path

from .views import activation, codes, numbers, prepaid

app_name = "callcenter"

urlpatterns = [
    path(
        "activation-queries/",
        activation.activation_query_list,
        name="activation_query_list",
    ),
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
]
