"""Fast paths of the pages (issue 14) give what the slow ones gave: reverse_id / reverse_plain
equal reverse(), and {% state_badge %} draws what repairs/partials/state_badge.html drew."""

import pytest
from django.apps import apps
from django.template import Context, Template
from django.test import override_settings
from django.urls import reverse, set_script_prefix
from django.utils.translation import override

from service_ops import reversing
from service_ops.reversing import reverse_id, reverse_plain

ID_URLS = [
    "repairs:return_detail",
    "repairs:order_detail",
    "repairs:lot_detail",
    "repairs:arrival_detail",
    "repairs:statement_detail",
    "repairs:review_detail",
    "repairs:returned_stock_detail",
]


@pytest.mark.parametrize("name", ID_URLS)
@pytest.mark.parametrize("pk", [0, 1, 7, 123456, 10**15])
def test_reverse_id_equals_reverse(name, pk):
    assert reverse_id(name, pk) == reverse(name, args=[pk])


def test_reverse_id_follows_the_script_prefix():
    url = reverse_id("repairs:return_detail", 5)
    try:
        set_script_prefix("/service/")
        assert reverse_id("repairs:return_detail", 5) == "/service" + url
        assert reverse_plain("repairs:return_list") == reverse("repairs:return_list")
        assert reverse_plain("repairs:return_list").startswith("/service/")
    finally:
        set_script_prefix("/")
    assert reverse_id("repairs:return_detail", 5) == url


def test_reverse_id_of_anything_but_an_int_is_reverse():
    assert reverse_id("repairs:return_detail", "12") == reverse(
        "repairs:return_detail", args=["12"]
    )


def test_reverse_id_follows_the_urlconf(settings):
    before = reverse_id("repairs:return_detail", 3)
    with override_settings(ROOT_URLCONF="tests.core.test_fast_paths"):
        assert reverse_id("repairs:return_detail", 3) == "/elsewhere/3/"
    assert reverse_id("repairs:return_detail", 3) == before


def test_main_nav_urls_equal_reverse():
    from service_ops import plugins

    for item in plugins.nav_items():
        assert reverse_plain(item.url_name) == reverse(item.url_name)
    assert reversing._plain


def _state_models():
    return [
        m
        for m in apps.get_models()
        if m._meta.app_label == "repairs" and any(f.name == "state" for f in m._meta.fields)
    ]


PARTIAL = Template('{% include "repairs/partials/state_badge.html" with object=obj %}')
TAG = Template("{% load service_ops_tags %}{% state_badge obj %}")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_state_badge_draws_what_the_partial_drew(language):
    models = _state_models()
    assert len(models) >= 5
    seen = 0
    with override(language):
        for model in models:
            field = model._meta.get_field("state")
            for value, _label in [*field.flatchoices, ("not-a-state", "")]:
                obj = model()
                obj.__dict__[field.attname] = value  # past django-fsm's protected descriptor
                context = Context({"obj": obj})
                assert TAG.render(context) == PARTIAL.render(context), (model, value)
                seen += 1
    assert seen > 30


# a URLconf of its own for test_reverse_id_follows_the_urlconf
from django.urls import include, path  # noqa: E402


def _view(request, pk):  # pragma: no cover - never called
    raise AssertionError


urlpatterns = [
    path(
        "elsewhere/",
        include(([path("<int:pk>/", _view, name="return_detail")], "repairs"), namespace="repairs"),
    )
]
