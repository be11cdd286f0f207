from django.urls import path

from .views import complaints as views
from .views import feedback, penalties

app_name = "complaints"

urlpatterns = [
    path("", views.desk, name="desk"),
    path("new/", views.new, name="new"),
    # penalties and their ledger (issue 18 item 4)
    path("penalties/", penalties.penalty_list, name="penalty_list"),
    path("penalties/export/", penalties.penalty_export, name="penalty_export"),
    path("penalties/<int:pk>/", penalties.penalty_detail, name="penalty_detail"),
    path("penalties/<int:pk>/<str:action>/", penalties.penalty_act, name="penalty_act"),
    path("ledger/<int:user_pk>/", penalties.ledger, name="ledger"),
    path("<int:pk>/penalties/new/", penalties.penalty_new, name="penalty_new"),
    # product feedback to development (issue 18 item 5)
    path("feedback/", feedback.feedback_list, name="feedback_list"),
    path("feedback/<int:pk>/", feedback.feedback_detail, name="feedback_detail"),
    path("feedback/<int:pk>/<str:action>/", feedback.feedback_act, name="feedback_act"),
    path("statistics/", views.statistics, name="statistics"),
    path("statistics.xlsx", views.statistics_xlsx, name="statistics_xlsx"),
    path("serial/", views.serial_search, name="serial_search"),
    path("serial/<path:serial>/", views.serial_timeline, name="serial_timeline"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.attachment, name="attachment"),
    path("<int:pk>/<str:action>/", views.act, name="act"),
]
