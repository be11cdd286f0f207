"""The form renderer (settings.FORM_RENDERER): Django's own, with `<select>` rendered in Python.

Django renders a select through three templates — select.html, an `{% include %}` of
select_option.html per option and of attrs.html per option — about 0.2 ms an option. The filter
forms of the staff lists have selects of every branch, dealer or org unit the caller sees (200+
options for HQ): that was a third of the return list's and the org-unit list's server time. This
renderer writes the same markup, byte for byte (tests/core/test_form_renderer.py compares it
with the templates' output), from the same widget context; any other template, an option with a
template of its own, or a project that overrides one of the three templates goes through the
templates as before."""

from __future__ import annotations

from functools import cached_property

from django.forms.renderers import DjangoTemplates
from django.template.base import render_value_in_context
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"
ATTRS = "django/forms/widgets/attrs.html"


class _Context:
    """What render_value_in_context reads of a template Context (the renderer's defaults)."""

    autoescape = True
    use_l10n = None
    use_tz = None


_CONTEXT = _Context()


def _value(value) -> str:
    """`{{ value }}` with autoescaping."""
    return render_value_in_context(value, _CONTEXT)


def _stringformat(value) -> str:
    """`{{ value|stringformat:'s' }}`: str() of the value, escaped unless it was safe."""
    text = "%s" % (value,)  # noqa: UP031 - what the filter does
    return text if isinstance(value, SafeData) else conditional_escape(text)


def _attrs(attrs: dict) -> str:
    parts = []
    for name, value in attrs.items():
        if value is not False:
            parts.append(f" {_value(name)}")
            if value is not True:
                parts.append(f'="{_stringformat(value)}"')
    return "".join(parts)


def render_select(widget: dict) -> str:
    """select.html for this widget context, as the template renders it (before the renderer's
    strip())."""
    out = [f'<select name="{_value(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{_value(group_name)}">')
        for option in group_choices:
            out.append(
                f'\n  <option value="{_stringformat(option["value"])}"'
                f"{_attrs(option['attrs'])}>{_value(option['label'])}</option>\n"
            )
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>\n")
    return "".join(out)


class FormRenderer(DjangoTemplates):
    @cached_property
    def _templates_are_django_own(self) -> bool:
        """True unless an app overrides one of the select templates (then they are used)."""
        from pathlib import Path

        import django.forms

        own = Path(django.forms.__file__).parent / "templates"
        for name in (SELECT, OPTION, ATTRS):
            origin = Path(self.get_template(name).origin.name)
            if own not in origin.parents:
                return False
        return True

    def render(self, template_name, context, request=None):
        if template_name == SELECT and self._templates_are_django_own:
            widget = context.get("widget")
            if widget is not None and all(
                option.get("template_name") == OPTION
                for _name, options, _index in widget["optgroups"]
                for option in options
            ):
                return render_select(widget).strip()
        return super().render(template_name, context, request=request)
