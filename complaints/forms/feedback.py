"""Forms of the product feedback: the development department's reply (recorded on its behalf),
the tracking notes, asking again and the verification that closes it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from service_ops.forms import BootstrapMixin

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class FeedbackReplyForm(BootstrapMixin, forms.Form):
    reply = forms.CharField(
        label=_("开发部回复"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    replied_by_name = forms.CharField(label=_("开发部回复人"), max_length=60)
    planned_by = forms.DateField(label=_("承诺改进日期"), widget=DATE, required=False)


class FeedbackNoteForm(BootstrapMixin, forms.Form):
    text = forms.CharField(
        label=_("跟踪记录"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class FeedbackAskAgainForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=_("需重新回复的原因"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class FeedbackCloseForm(BootstrapMixin, forms.Form):
    verification = forms.CharField(
        label=_("验证结果"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
