"""Browser pages of the shell (the API lives under /api/v1/, network pages under /network/)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from service_ops import views
from service_ops.dashboards import views as dashboards
from service_ops.forms import LoginForm, PasswordChangeBootstrapForm
from service_ops.reports import views as reports

urlpatterns = [
    path("", views.my_work, name="my_work"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/change/",
        auth_views.PasswordChangeView.as_view(form_class=PasswordChangeBootstrapForm),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("deadlines/<int:pk>/", views.deadline_detail, name="deadline_detail"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read-all/", views.inbox_mark_all_read, name="inbox_mark_all_read"),
    path("inbox/<int:pk>/", views.inbox_open, name="inbox_open"),
    path("dashboard/", dashboards.dashboard, name="sla_dashboard"),
    path("dashboard/timers/", dashboards.timer_list, name="sla_timers"),
    path("reports/", reports.report_index, name="report_index"),
    path("reports/export/", reports.export_create, name="report_export_create"),
    path("reports/exports/<int:pk>/", reports.export_detail, name="report_export"),
    path("reports/exports/<int:pk>/download/", reports.export_download, name="report_download"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/day/", views.calendar_set_day, name="calendar_set_day"),
    path("calendar/confirm/", views.calendar_confirm, name="calendar_confirm"),
]
