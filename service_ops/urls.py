"""The project's URLs: the core's, and each plugin app's declared pages and API (plugin.py)."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from service_ops import health, plugins

api_v1 = [
    path("", include("service_ops.api.urls")),
    *(path("", include(module)) for module in plugins.api_urls()),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # the split view serves its start-up script as a file: no inline script for the CSP
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    # liveness and readiness for the load balancer and docker-compose (service_ops/health.py)
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("i18n/", include("django.conf.urls.i18n")),
    *(path(prefix, include(module)) for prefix, module in plugins.web_urls()),
    path("", include("service_ops.web_urls")),
]

handler403 = "service_ops.views.permission_denied"
handler404 = "service_ops.views.page_not_found"
handler500 = "service_ops.views.server_error"
