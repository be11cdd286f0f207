"""Forms of the browser shell. Writes go through the services; a form only validates and calls."""

from __future__ import annotations

import logging

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from service_ops.workcalendar.services import (
    ScheduleError,
    calendar_confirm_year,
    calendar_set_day,
)

log = logging.getLogger(__name__)


class BootstrapMixin:
    """Give every widget its Bootstrap class, so templates render fields with one include."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for bound in self.fields.values():
            widget = bound.widget
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            existing = widget.attrs.get("class", "")
            widget.attrs["class"] = f"{existing} {css}".strip()

    def add_error(self, field, error):
        """Every error, wherever it comes from (field, clean() or a view), marks its widget."""
        super().add_error(field, error)
        for name in self._errors or {}:
            self._mark_invalid(name)

    def _mark_invalid(self, name) -> None:
        if name not in self.fields:
            return
        widget = self.fields[name].widget
        css = widget.attrs.get("class", "")
        if "is-invalid" not in css.split():
            widget.attrs["class"] = f"{css} is-invalid".strip()
        widget.attrs["aria-invalid"] = "true"


class LoginForm(BootstrapMixin, AuthenticationForm):
    """The login page, with a lock after repeated failures (LoginGuard): the right password does
    not open an account whose password is being guessed."""

    def clean(self):
        guard = LoginGuard(self.request, self.cleaned_data.get("username") or "")
        if guard.locked():
            raise ValidationError(
                _("登录失败次数过多，请 %(m)d 分钟后再试。") % {"m": LoginGuard.WINDOW // 60},
                code="locked",
            )
        try:
            data = super().clean()
        except ValidationError:
            guard.failed()
            raise
        guard.succeeded()
        return data


class LoginGuard:
    """Failed logins counted per account and per client address in the cache, for WINDOW
    seconds from the first failure. Past the limits every attempt is refused until the window
    ends. With the cache unreachable the guard lets people in rather than locking everyone
    out (and says so in the log)."""

    WINDOW = 15 * 60
    PER_ACCOUNT = 5
    PER_ADDRESS = 30  # one office behind one address has many people

    def __init__(self, request, username: str):
        address = (request.META.get("REMOTE_ADDR") or "?") if request is not None else "?"
        self.keys = {
            f"login-fail:user:{username.strip().lower()}": self.PER_ACCOUNT,
            f"login-fail:addr:{address}": self.PER_ADDRESS,
        }

    def locked(self) -> bool:
        try:
            counts = cache.get_many(list(self.keys))
        except Exception as exc:
            log.warning("login guard skipped: the cache is unreachable (%s)", exc)
            return False
        return any(counts.get(key, 0) >= limit for key, limit in self.keys.items())

    def failed(self) -> None:
        try:
            for key in self.keys:
                cache.add(key, 0, self.WINDOW)
                cache.incr(key)
        except Exception as exc:
            log.warning("login guard could not count a failure (%s)", exc)

    def succeeded(self) -> None:
        account = next(iter(self.keys))
        try:
            cache.delete(account)
        except Exception as exc:
            log.warning("login guard could not reset a count (%s)", exc)


class PasswordChangeBootstrapForm(BootstrapMixin, PasswordChangeForm):
    pass


class CalendarDayForm(BootstrapMixin, forms.Form):
    """A company override of one day."""

    WORKING, OFF = "1", "0"

    day = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    is_working = forms.TypedChoiceField(
        label=_("设为"),
        choices=[(WORKING, _("工作日")), (OFF, _("休息日"))],
        coerce=lambda value: value == CalendarDayForm.WORKING,
    )
    note = forms.CharField(label=_("说明"), max_length=120, required=False)

    def save(self, *, actor) -> int:
        """Apply the override; returns how many open timers were recomputed."""
        data = self.cleaned_data
        return calendar_set_day(
            day=data["day"], is_working=data["is_working"], note=data["note"], actor=actor
        )


class ConfirmYearForm(BootstrapMixin, forms.Form):
    """Confirm a provisional year by pasting the published 放假调休 schedule."""

    year = forms.IntegerField(label=_("年份"), min_value=2000, max_value=2100)
    schedule_text = forms.CharField(
        label=_("公布的放假调休安排"),
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text=_(
            "每行一个日期或日期区间，后跟“休”或“班”和说明，例如：2027-02-06~2027-02-13 休 春节；"
            "2027-02-14 班 春节调休"
        ),
    )

    def save(self, *, actor) -> int | None:
        """Confirm the year; returns how many open timers were recomputed, or None with the
        schedule's errors added to the form."""
        data = self.cleaned_data
        try:
            return calendar_confirm_year(
                year=data["year"], schedule_text=data["schedule_text"], actor=actor
            )
        except ScheduleError as exc:
            messages = exc.args[0] if exc.args and isinstance(exc.args[0], list) else [str(exc)]
            for message in messages:
                self.add_error("schedule_text", message)
            return None


class PersonChoiceField(forms.ModelChoiceField):
    """A choice of people shown by their names (the username only where no name is kept)."""

    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()
