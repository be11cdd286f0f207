"""One convention for the POST action views of every app.

An action view finds its object (scoped to the user), checks who may act, binds a form and hands
the rest to `run_action`: a valid form calls the service; the service's ValidationError goes back
onto the form (the page is re-rendered with what was typed, status 400); a transition the state no
longer allows ("not allowed now") says so and redirects, or answers 409 to an htmx request; success
adds a message and redirects to `next` (when it is safe) or the object's page.

Platform code: imports django and service_ops only, never a business app."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

NOT_ALLOWED = (TransitionNotAllowed, ConcurrentTransition)


def safe_next(request, default: str) -> str:
    """The `next` of the POST or the query string when it points at this site, else `default`."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def not_allowed_text() -> str:
    """What a TransitionNotAllowed tells the user (the state changed under them)."""
    return _("此操作在当前状态下不允许")


def not_allowed(request, url: str) -> HttpResponse:
    """The "not allowed now" answer: 409 to htmx, a message and a redirect otherwise."""
    if getattr(request, "htmx", False):
        return HttpResponse(not_allowed_text(), status=409)
    messages.error(request, not_allowed_text())
    return redirect(url)


def service_errors(exc: ValidationError) -> dict[str, list[str]]:
    """{field: [messages]} of a service's ValidationError (NON_FIELD_ERRORS for plain ones)."""
    if hasattr(exc, "error_dict"):
        return {
            key: [str(m) for e in errs for m in e.messages] for key, errs in exc.error_dict.items()
        }
    return {NON_FIELD_ERRORS: [str(m) for m in exc.messages]}


def apply_service_errors(
    exc: ValidationError, form: forms.BaseForm, *, keep: Iterable[str] = ()
) -> dict[str, list[str]]:
    """Put a service's errors on the form's fields. A form may rename the service's keys with an
    `error_fields` mapping; an error about something the form has no field for becomes a
    non-field error, except the keys in `keep`, which are returned for the caller to place."""
    renames = getattr(form, "error_fields", {}) or {}
    kept: dict[str, list[str]] = {}
    for key, texts in service_errors(exc).items():
        key = renames.get(key, key)
        if key in keep:
            kept[key] = texts
            continue
        field = key if key in form.fields else None
        for text in texts:
            form.add_error(field, text)
    return kept


def run_action(
    request,
    form: forms.BaseForm,
    service_call: Callable[[dict], Any],
    success_url: str | Callable[[Any], str],
    *,
    invalid: Callable[[forms.BaseForm], HttpResponse],
    message: str | Callable[[Any], str | tuple[int, str] | None] | None = None,
    on_success: Callable[[Any], HttpResponse | None] | None = None,
    on_not_allowed: Callable[[], HttpResponse] | None = None,
    not_allowed_url: str | None = None,
) -> HttpResponse:
    """Validate `form`, call `service_call(form.cleaned_data)` and answer.

    - success: `on_success(result)` when it returns a response (an htmx fragment), else the
      `message` (text, or a callable of the result giving text or (level, text)) and a redirect
      to `success_url` (or `success_url(result)`: the page of what the service created);
    - the service's ValidationError: onto the form, then `invalid(form)` (a re-render, 400);
    - a transition not allowed now: `on_not_allowed()` or `not_allowed(...)` (redirect / 409);
    - an invalid form: `invalid(form)`."""
    if form.is_valid():
        try:
            result = service_call(form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(exc, form)
        except NOT_ALLOWED:
            if on_not_allowed is not None:
                return on_not_allowed()
            fallback = success_url if isinstance(success_url, str) else request.path
            return not_allowed(request, not_allowed_url or fallback)
        else:
            if on_success is not None:
                response = on_success(result)
                if response is not None:
                    return response
            text = message(result) if callable(message) else message
            if text:
                level, text = text if isinstance(text, tuple) else (messages.SUCCESS, text)
                messages.add_message(request, level, text)
            return redirect(success_url(result) if callable(success_url) else success_url)
    return invalid(form)
