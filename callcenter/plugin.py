"""What the call centre adds to the platform so far: the callback (回访) timer and the hook other
processes call to ask for one (a shipped repair, later a closed complaint); the activation-code
pages of the network specialist (queries, registered numbers, the code store, prepaid balances and
top-ups) and the service points' partner API for codes and their balance."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from network.choices import Role
from service_ops.plugins import Audited, DeadlineKind, DefaultPolicy, NavItem, PeriodicJob, Plugin

CALLBACK_KIND = "callcenter.callback"
CALLBACK_POLICY = "callback-3wd"
ACTIVATION_STAFF = frozenset({Role.NETWORK_SPECIALIST, Role.HEAD_OF_CS})

PLUGIN = Plugin(
    nav_items=(
        NavItem(
            "callcenter:activation_query_list",
            _("激活码查询"),
            "bi-key",
            order=960,
            roles=ACTIVATION_STAFF,
            more=True,
        ),
        NavItem(
            "callcenter:number_list",
            _("登记号码"),
            "bi-phone",
            order=961,
            roles=ACTIVATION_STAFF,
            more=True,
            related=("callcenter:number_create", "callcenter:number_edit"),
        ),
        NavItem(
            "callcenter:code_list",
            _("激活码库"),
            "bi-upc-scan",
            order=962,
            roles=ACTIVATION_STAFF,
            more=True,
            related=("callcenter:code_import", "callcenter:code_import_status"),
        ),
        NavItem(
            "callcenter:prepaid_unit_list",
            _("预存款充值"),
            "bi-wallet2",
            order=963,
            roles=ACTIVATION_STAFF,
            more=True,
            related=("callcenter:prepaid_ledger", "callcenter:prepaid_top_up"),
        ),
    ),
    deadline_kinds=(
        DeadlineKind(
            CALLBACK_KIND,
            _("回访"),
            policies=(
                # DESIGN §2.3: every completed repair and closed complaint is called back within
                # 3 working days; unresolved work escalates to the head of customer service.
                DefaultPolicy(
                    code=CALLBACK_POLICY,
                    name=gettext_noop("回访（3 个工作日内）"),  # data; shown through the catalogue
                    limit=3,
                    escalation_chain=(Role.CALL_AGENT.value, Role.HEAD_OF_CS.value),
                ),
            ),
        ),
    ),
    periodic_jobs=(
        # browser imports of activation codes nobody is running (a lost nudge, a killed worker)
        PeriodicJob(
            name="resume-code-imports",
            task="callcenter.tasks.resume_code_imports",
            run="callcenter.services.codes.code_import_resume",
            every=300,
        ),
    ),
    hooks={"request_callback": "callcenter.hooks.request_callback"},
    api_urls="callcenter.api.urls",
    web_urls=("callcenter/", "callcenter.urls"),
    demo="callcenter.demo.load_demo",
    bench="callcenter.bench.BENCH",  # activation-code queries, their pages and partner API
    # the numbers activation-code queries are accepted from: who registered, moved or
    # deactivated which number, and when
    audited=(Audited("callcenter.RegisteredNumber"),),
)
