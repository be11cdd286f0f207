"""403, 404 and 500 pages in the site's shell and language, saying what to do next."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.test import override_settings
from django.urls import path

from service_ops.urls import urlpatterns as project_urls
from tests.factories import make_user


def _forbidden(request):
    raise PermissionDenied("只有客服部部长可以确认罚款")


def _broken(request):
    raise RuntimeError("boom")


def _database_down(request):
    raise OperationalError("connection to server failed: the database system is shutting down")


urlpatterns = [
    path("t/forbidden/", _forbidden),
    path("t/broken/", _broken),
    path("t/database-down/", _database_down),
    path("api/v1/t/database-down/", _database_down),
    *project_urls,
]
handler403 = "service_ops.views.permission_denied"
handler404 = "service_ops.views.page_not_found"
handler500 = "service_ops.views.server_error"

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture
def supervisor_client(client, net):
    client.force_login(make_user("sup", net.gz, "supervisor"))
    return client


@override_settings(DEBUG=False)
def test_403_says_why_and_where_to_go_in_chinese(supervisor_client):
    response = supervisor_client.get("/t/forbidden/")
    assert response.status_code == 403
    html = response.text
    assert "无权访问" in html and "只有客服部部长可以确认罚款" in html
    assert "回到我的工作" in html and 'href="/"' in html
    assert "主导航" in html  # the site's shell, not a bare "403 Forbidden"


@override_settings(DEBUG=False)
def test_403_in_english(supervisor_client):
    supervisor_client.cookies.load({"django_language": "en"})
    response = supervisor_client.get("/t/forbidden/")
    assert response.status_code == 403
    assert "Access denied" in response.text
    assert "Back to My work" in response.text


@override_settings(DEBUG=False)
def test_404_explains_a_record_outside_the_callers_scope(supervisor_client):
    response = supervisor_client.get("/repairs/returns/999999/")
    assert response.status_code == 404
    assert "找不到页面" in response.text and "查看范围" in response.text


@override_settings(DEBUG=False)
def test_404_for_someone_not_logged_in_offers_the_login(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "/login/?next=/no-such-page/" in response.text


@override_settings(DEBUG=False)
def test_500_renders_without_the_database_or_context_processors(client):
    client.raise_request_exception = False
    response = client.get("/t/broken/")
    assert response.status_code == 500
    assert "系统出错" in response.text and "是否已保存" in response.text


@override_settings(DEBUG=False)
def test_the_database_unreachable_is_a_503_to_retry_not_a_500(client):
    client.raise_request_exception = False
    api = client.get("/api/v1/t/database-down/")
    assert api.status_code == 503 and api["Retry-After"] == "5"
    assert api.json() == {"detail": "服务暂时不可用，请稍后重试。"}
    page = client.get("/t/database-down/")
    assert page.status_code == 503 and page["Retry-After"] == "5"
    assert "系统出错" in page.text
    assert client.get("/t/broken/").status_code == 500  # a bug stays a 500
