"""What the service network adds to the platform: its menu entries and its pages, and the
network's life (网点流程): the points, applications to join, evaluations and trainings, the
daily watch of qualification documents and the quarterly evaluation."""

from datetime import time

from django.utils.translation import gettext_lazy as _

from service_ops.plugins import Audited, NavItem, PeriodicJob, Plugin

from .life import permissions as life_perms

PLUGIN = Plugin(
    periodic_jobs=(
        # 资质到期提醒: each document once before it expires, once more when it has
        PeriodicJob(
            name="network-documents-expiring",
            task="network.tasks.warn_expiring_documents",
            run="network.life.services.documents_warn_expiring",
            at=time(7, 10),
        ),
        # 网点考核: the last finished quarter, for the points not evaluated yet (a no-op on the
        # other days of the quarter)
        PeriodicJob(
            name="network-evaluate-last-quarter",
            task="network.tasks.evaluate_last_quarter",
            run="network.life.services.evaluations_compute_last_quarter",
            at=time(6, 40),
        ),
    ),
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
        # the network specialist's own menu entry; for the field's readers an occasional page
        NavItem(
            "network:point_list",
            _("网点"),
            "bi-shop",
            order=880,
            roles=life_perms.MANAGERS,
            related=("network:point_detail",),
        ),
        NavItem(
            "network:point_list",
            _("网点"),
            "bi-shop",
            order=880,
            roles=life_perms.READERS - life_perms.MANAGERS,
            related=("network:point_detail",),
            more=True,
        ),
        NavItem(
            "network:application_list",
            _("入网申请"),
            "bi-person-plus",
            order=881,
            roles=life_perms.APPLICANTS,
            related=("network:application_new", "network:application_detail"),
            more=True,
        ),
        NavItem(
            "network:evaluation_list",
            _("网点考核"),
            "bi-clipboard-data",
            order=882,
            roles=life_perms.MANAGERS,
            related=("network:evaluation_detail",),
            more=True,
        ),
        NavItem(
            "network:training_list",
            _("培训"),
            "bi-mortarboard",
            order=883,
            roles=life_perms.TRAINERS,
            related=("network:training_new", "network:training_detail"),
            more=True,
        ),
    ),
    inbox_providers=(
        "network.life.selectors.ApplicationReviewProvider",
        "network.life.selectors.DocumentExpiryProvider",
        "network.life.selectors.EvaluationConfirmProvider",
    ),
    web_urls=("network/", "network.urls"),
    api_urls="network.api.urls",
    bench="network.bench.BENCH",
    demo="network.life.demo.load_demo",
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
        # a point's profile (grade, skills, capacity, contract); its status has its own log
        Audited("network.ServicePointProfile", exclude=("status", "updated_at")),
        Audited("network.ServiceArea"),
    ),
)
