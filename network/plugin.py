"""What the service network adds to the platform: its menu entries and its pages."""

from django.utils.translation import gettext_lazy as _

from service_ops.plugins import Audited, NavItem, Plugin

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
    # The network, its people and their roles. Never logged: the password hash, the token's
    # digest; nor what changes on every login or API call (last_login, last_used_at) or is
    # derived (an org unit's path follows its parent).
    audited=(
        Audited("network.OrgUnit", exclude=("path",)),
        Audited("auth.User", exclude=("password", "last_login")),
        Audited("network.StaffProfile"),
        Audited("network.RoleAssignment"),
        Audited("network.Delegation"),
        Audited("network.PartnerToken", exclude=("digest", "last_used_at")),
    ),
)
