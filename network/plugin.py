"""What the service network adds to the platform: its menu entries and its pages."""

from django.utils.translation import gettext_lazy as _

from service_ops.plugins import NavItem, Plugin

PLUGIN = Plugin(
    nav_items=(
        NavItem(
            "network:org_units",
            _("服务网络"),
            "bi-diagram-3",
            order=900,
            related=("network:org_unit_detail",),
        ),
        NavItem(
            "network:staff_directory", _("通讯录"), "bi-person-lines-fill", order=910, more=True
        ),
    ),
    web_urls=("network/", "network.urls"),
    api_urls="network.api.urls",
    bench="network.bench.BENCH",
)
