"""Forms of the network pages."""

from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from service_ops.forms import BootstrapMixin

from .choices import Role
from .models import OrgUnit, RoleAssignment


class StaffDirectoryFilterForm(BootstrapMixin, forms.Form):
    """Search, org unit (and the units below it) and role filters of the staff directory."""

    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    org_unit = forms.ModelChoiceField(
        label=_("组织"), queryset=OrgUnit.objects.none(), required=False, empty_label=_("全部组织")
    )
    role = forms.ChoiceField(
        label=_("角色"), required=False, choices=[("", _("全部角色")), *Role.choices]
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = OrgUnit.objects.visible_to(user).order_by("path")
        self.fields["q"].widget.attrs.update(
            {"type": "search", "placeholder": _("姓名、账号、手机、邮箱或组织")}
        )

    @property
    def search(self) -> str:
        return (self.cleaned_data.get("q") or "").strip() if self.is_valid() else ""

    def apply(self, queryset: QuerySet) -> QuerySet:
        """Narrow an already scoped staff queryset by org unit subtree and role."""
        if not self.is_valid():
            return queryset
        unit = self.cleaned_data.get("org_unit")
        if unit is not None:
            queryset = queryset.filter(profile__org_unit__path__startswith=unit.path)
        role = self.cleaned_data.get("role")
        if role:
            queryset = queryset.filter(
                Exists(RoleAssignment.objects.filter(user=OuterRef("pk"), role=role))
            )
        return queryset
