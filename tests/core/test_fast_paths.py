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


@pytest.mark.parametrize("pk", [0, 7, 123456])
@pytest.mark.parametrize("action", ["pick_up", "qc", "raise_quote"])
def test_reverse_id_with_words_after_the_id_equals_reverse(pk, action):
    for name in ("repairs:order_act", "repairs:order_action_form"):
        assert reverse_id(name, pk, action) == reverse(name, args=[pk, action])


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


def _url_names():
    """Every named web URL with no argument or one integer argument."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(resolver, ns=""):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry, f"{ns}{entry.namespace}:" if entry.namespace else ns)
            elif isinstance(entry, URLPattern) and entry.name and "(?P<" not in str(entry.pattern):
                converters = entry.pattern.converters
                if len(converters) <= 1 and all(
                    type(c).__name__ == "IntConverter" for c in converters.values()
                ):
                    yield f"{ns}{entry.name}", len(converters)

    return sorted(set(walk(get_resolver())))


def test_the_url_tag_writes_what_djangos_wrote_for_every_page():
    """{% url %} is service_ops.templatetags.fast_url (a builtin): the same strings as reverse()."""
    names = _url_names()
    assert len(names) > 100
    for name, nargs in names:
        if nargs:
            for pk in (1, 42, 10**12):
                html = Template("{% url name pk %}").render(Context({"name": name, "pk": pk}))
                assert html == reverse(name, args=[pk]), name
        else:
            html = Template("{% url name %}").render(Context({"name": name}))
            assert html == reverse(name), name


def test_the_url_tag_keeps_as_var_kwargs_and_errors():
    from django.urls import NoReverseMatch

    t = Template("{% url 'repairs:order_detail' pk as u %}[{{ u }}]")
    assert t.render(Context({"pk": 9})) == f"[{reverse('repairs:order_detail', args=[9])}]"
    t = Template("{% url 'repairs:order_detail' pk=pk %}")
    assert t.render(Context({"pk": 9})) == reverse("repairs:order_detail", kwargs={"pk": 9})
    t = Template("{% url 'no-such-page' as u %}[{{ u }}]")
    assert t.render(Context({})) == "[]"
    with pytest.raises(NoReverseMatch):
        Template("{% url 'no-such-page' %}").render(Context({}))
    with pytest.raises(NoReverseMatch):
        Template("{% url 'repairs:order_detail' 'abc' %}").render(Context({}))
