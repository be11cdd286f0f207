"""The form renderer writes a `<select>` in Python: the same bytes as Django's templates."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from network.choices import OrgKind
from network.models import OrgUnit
from service_ops.form_renderer import FormRenderer

TEMPLATES = DjangoTemplates()
FAST = FormRenderer()


def both(widget: forms.Widget, name: str, value, attrs=None) -> tuple[str, str]:
    return (
        widget.render(name, value, attrs=attrs, renderer=TEMPLATES),
        widget.render(name, value, attrs=attrs, renderer=FAST),
    )


CHOICES = [
    ("", "---------"),
    (1, "一"),
    ("2", _("全部状态")),
    ("<x>", 'quote " & <b>tag</b>'),
    ("safe", mark_safe("<i>safe</i>")),
    (None, "none"),
    (3.5, 7),
]
GROUPED = [
    ("", "全部"),
    ("北方 <区>", [("a", "A"), ("b", "B & b")]),
    ("南方", [(10, "十")]),
    ("c", "C"),
]


@pytest.mark.parametrize(
    ("widget", "value", "attrs"),
    [
        (forms.Select(choices=CHOICES), "2", None),
        (forms.Select(choices=CHOICES), None, {"id": "id_x", "class": "form-select"}),
        (forms.Select(choices=CHOICES), "<x>", {"required": True, "disabled": False, "n": 3}),
        (forms.Select(choices=CHOICES, attrs={"data-q": 'a"b'}), "safe", {"id": "i"}),
        (forms.Select(choices=GROUPED), "b", {"id": "g"}),
        (forms.SelectMultiple(choices=GROUPED), ["a", "10"], {"id": "m"}),
        (forms.Select(choices=[]), "", None),
        (forms.NullBooleanSelect(), True, {"class": "form-select"}),
    ],
)
def test_select_matches_the_templates(widget, value, attrs):
    slow, fast = both(widget, "field <name>", value, attrs)
    assert fast == slow


def test_select_in_english_matches():
    with override("en"):
        slow, fast = both(forms.Select(choices=CHOICES), "s", "2", {"id": "s"})
        label = str(_("全部状态"))
    assert fast == slow
    assert f'<option value="2" selected>{label}</option>' in fast


@pytest.mark.django_db
def test_model_choice_select_matches():
    field = forms.ModelChoiceField(queryset=OrgUnit.objects.order_by("pk"), empty_label="全部")
    OrgUnit.objects.create(name="总部 <HQ>", code="HQ-R", kind=OrgKind.HEADQUARTERS)
    slow, fast = both(field.widget, "unit", None, {"id": "u"})
    assert fast == slow
    assert "总部 &lt;HQ&gt;" in fast


def test_other_widgets_and_option_templates_use_the_templates():
    class Custom(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    for widget, value in (
        (forms.RadioSelect(choices=CHOICES), "2"),
        (forms.TextInput(), "x"),
        (Custom(choices=CHOICES), "2"),
    ):
        slow, fast = both(widget, "n", value, {"id": "n"})
        assert fast == slow


def test_it_is_the_projects_renderer():
    assert isinstance(get_default_renderer(), FormRenderer)
