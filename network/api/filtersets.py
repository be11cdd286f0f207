"""FilterSets of the network API: the HTML list's FilterSets (network/filtersets.py, one FilterSet
for both, as NetBox does) with the names API clients expect."""

import django_filters
from django.utils.translation import gettext_lazy as _

from network.filtersets import OrgUnitFilterSet as ListOrgUnitFilterSet


class OrgUnitFilterSet(ListOrgUnitFilterSet):
    """kind, branch_kind, parent (only units the caller may see) and `search` (`q` of the HTML
    list: code or name contains)."""

    search = django_filters.CharFilter(
        method="search", label=_("搜索"), help_text=_("编码或名称包含此文本")
    )

    class Meta(ListOrgUnitFilterSet.Meta):
        fields = [*ListOrgUnitFilterSet.Meta.fields, "search"]
