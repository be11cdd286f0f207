"""What an app adds to the platform, declared in one place: its `plugin.py`.

The platform (service_ops, network) imports no business app. Each app's AppConfig subclasses
`PluginConfig`; its `plugin.py` holds one `PLUGIN = Plugin(...)` naming what it adds:

- periodic jobs: Celery beat (service_ops/celery.py) and the embedded sweeper read the same list;
- navigation entries per role (the main menu);
- deadline kinds with their default policies and the handler of fired levels;
- work-inbox providers (我的工作) and the hooks other apps may call;
- default rule rows (seeded after `migrate`, and again by the tests' flush) and demo data;
- its part of the volume benchmark (`manage.py bench_web`): data at a year's volume and the lists
  to time (service_ops/bench);
- the webhook events its state machines raise for partners (service_ops/webhooks).
- its audited master data (`Audited`): who changed what and when, field by field
  (service_ops/audit).

Everything here is read through the functions at the bottom, in the order of INSTALLED_APPS.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal
from functools import cache
from typing import Any

from django.apps import AppConfig, apps
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


# --- declarations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodicJob:
    """A job beat sends to a worker and the embedded sweeper runs in-process.

    `run` is the dotted path of a plain function taking `now=`; `task` the Celery task that calls
    it. Either `every` (seconds, or a callable giving them) or `at` (a local time, or a callable
    giving it) with optional `weekdays` (0 = Monday)."""

    name: str
    task: str
    run: str
    every: float | Callable[[], float] | None = None
    at: time | Callable[[], time] | None = None
    weekdays: tuple[int, ...] = ()

    def seconds(self) -> float | None:
        return float(self.every()) if callable(self.every) else self.every

    def local_time(self) -> time | None:
        return self.at() if callable(self.at) else self.at

    def celery_schedule(self):
        from celery.schedules import crontab

        if self.every is not None:
            return self.seconds()
        at = self.local_time()
        days = ",".join(str((d + 1) % 7) for d in self.weekdays) or "*"  # crontab: 0 = Sunday
        return crontab(hour=at.hour, minute=at.minute, day_of_week=days)


@dataclass(frozen=True)
class NavItem:
    """A main-menu entry. `roles`: only holders of one of them (or, with `hq_too`, anyone at
    headquarters); `audience`: all | internal (company people) | staff (admins); `more`: listed
    under "更多" (pages opened now and then), so a person with many roles keeps one menu row."""

    url_name: str
    label: Any
    icon: str
    order: int = 100
    audience: str = "all"
    roles: frozenset[str] = frozenset()
    hq_too: bool = False
    related: tuple[str, ...] = ()
    more: bool = False


@dataclass(frozen=True)
class DefaultPolicy:
    """A deadline policy row put in place after migrate (kept if an admin edited it)."""

    code: str
    name: str
    limit: Decimal | int
    unit: str = "working_days"
    max_total: Decimal | int | None = None
    escalation_chain: tuple[str, ...] = ("assignee",)


@dataclass(frozen=True)
class DeadlineKind:
    """A kind of timer an app starts. `handler` is the dotted path of an object with
    `on_fired(actions)` (service_ops.deadlines.registry). `in_timer_inbox=False` when the app's own
    inbox provider already lists these timers with their task (so 我的工作 shows them once)."""

    kind: str
    label: Any
    policies: tuple[DefaultPolicy, ...] = ()
    handler: str | None = None
    in_timer_inbox: bool = True
    # The SLA dashboard (service_ops.dashboards) shows every kind as a tile of its app; its title
    # links to the app's own list of these items: `list_url` (a URL name) with, per dashboard
    # bucket ("open", "overdue", "paused", …), the query string that filters that list alike
    # (`list_params`, pairs). Every number links to the platform's timer list, which counts
    # exactly what the tile counts.
    list_url: str = ""
    list_params: tuple[tuple[str, str], ...] = ()
    # The partner (dealer or service point) a timer's owner belongs to, when it is not the
    # timer's own org unit (a repair limit belongs to the branch, its order to a dealer):
    # ("app_label.Model" of the owner, the ORM path from it to an OrgUnit foreign key, e.g.
    # "dealer" or "order__dealer"). The dashboard's dealer and service-point cuts use it.
    partner: tuple[str, str] = ()


@dataclass(frozen=True)
class WebhookSource:
    """A state machine whose transitions partners hear of by webhook (service_ops.webhooks).

    After every transition of `model` ("app_label.ModelName") that run_transition makes, the
    platform asks `partners(instance)` (dotted path of a function returning the ids of the partner
    org units — dealers, service points — concerned; an empty list is fine) and, only when one of
    them has an active endpoint subscribed to `event`, builds `payload(instance)` (a small dict
    of JSON values: the object's summary) once for all of them."""

    model: str
    event: str
    partners: str
    payload: str
    label: Any = ""


@dataclass(frozen=True)
class Audited:
    """A model whose every change is recorded with its actor, time and field-level before/after
    (service_ops/audit). `model` is "app_label.ModelName"; `exclude` names fields never logged
    (secrets, derived or noisy columns; password and digest fields are always left out)."""

    model: str
    exclude: tuple[str, ...] = ()
    m2m: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportMailing:
    """A report mailed on a schedule (service_ops.reports.scheduled): on `weekdays` (0 = Monday)
    or on day `monthday` of the month, the periodic job exports the report with `params(today=)`
    (dotted path of a function giving the query parameters of the period it covers, e.g. last
    week) and tells the holders of `roles` at headquarters, with the file's download link."""

    name: str
    params: str
    roles: frozenset[str]
    weekdays: tuple[int, ...] = ()
    monthday: int | None = None
    label: Any = ""


@dataclass(frozen=True)
class Report:
    """A report listed on the platform's /reports/ index (service_ops.reports).

    `key` is unique across apps ("app.name"); `url_name` its page. Who may open it: `allowed`
    (dotted path of fn(user) -> bool, the app's own permission check) when given, otherwise the
    holders of `roles` (and anyone at headquarters with `hq_too`). `export` (dotted path of
    fn(*, user, params, out)) writes the report's rows into a background export job's workbook
    (service_ops.reports.export.Workbook); `params` are the page's query parameters, the export
    scopes by `user` as the page does. An app whose report already builds its workbook in one go
    may instead return the file's bytes (then progress jumps from 0 to 100)."""

    key: str
    name: Any
    url_name: str
    description: Any = ""
    query: str = ""  # appended to the page's URL ("report=qc"): one page may serve several
    icon: str = "bi-graph-up"
    roles: frozenset[str] = frozenset()
    hq_too: bool = False
    allowed: str | None = None
    export: str | None = None
    mailings: tuple[ReportMailing, ...] = ()


@dataclass(frozen=True)
class Plugin:
    periodic_jobs: tuple[PeriodicJob, ...] = ()
    nav_items: tuple[NavItem, ...] = ()
    deadline_kinds: tuple[DeadlineKind, ...] = ()
    inbox_providers: tuple[str, ...] = ()  # dotted paths of service_ops.work.Provider classes
    hooks: dict[str, str] = field(default_factory=dict)  # hook name → dotted path of a callable
    seed_defaults: str | None = None  # dotted path of fn(), idempotent: the app's rule rows
    demo: str | None = None  # dotted path of fn(*, units, users, stdout): its demo business data
    web_urls: tuple[str, str] | None = None  # (prefix, urlconf module) of its browser pages
    # more (prefix, urlconf module) pairs, e.g. a short public page at the site's root ("u/")
    extra_web_urls: tuple[tuple[str, str], ...] = ()
    api_urls: str | None = None  # urlconf module mounted under /api/v1/
    # Not read yet: the SLA dashboard makes a tile of every declared deadline kind by itself.
    dashboard_tiles: tuple[str, ...] = ()
    bench: str | None = None  # dotted path of a service_ops.bench.BenchPart: volume data + lists
    webhook_events: tuple[WebhookSource, ...] = ()  # what partners hear of by webhook
    audited: tuple[Audited, ...] = ()  # master data whose changes are audited
    reports: tuple[Report, ...] = ()  # its reports on the /reports/ index (service_ops.reports)


class PluginConfig(AppConfig):
    """Base AppConfig of every app that adds to the platform. `plugin` names its declaration
    (default `<app>.plugin.PLUGIN`); ready() registers its deadline handlers.

    Subclass it as `plugins.PluginConfig` (import the module, not the class): Django picks an
    app's config automatically only when its apps.py holds exactly one AppConfig subclass."""

    plugin: str | None = None
    declared: Plugin = Plugin()

    def ready(self):
        self.declared = import_string(self.plugin or f"{self.name}.plugin.PLUGIN")
        from service_ops.deadlines import registry

        for kind in self.declared.deadline_kinds:
            if kind.handler:
                registry.register(kind.kind, import_string(kind.handler))
        if self.declared.audited:
            from service_ops.audit.registry import register_declared

            register_declared(self.declared.audited)


# --- reading them ----------------------------------------------------------------------------


def plugins() -> list[tuple[str, Plugin]]:
    """(app label, Plugin) of every installed plugin app, in INSTALLED_APPS order."""
    return [
        (config.label, config.declared)
        for config in apps.get_app_configs()
        if isinstance(config, PluginConfig)
    ]


def periodic_jobs() -> list[PeriodicJob]:
    return [job for _label, p in plugins() for job in p.periodic_jobs]


def beat_schedule() -> dict[str, dict]:
    """Celery beat's schedule, from the same list the embedded sweeper reads."""
    return {
        job.name: {"task": job.task, "schedule": job.celery_schedule()} for job in periodic_jobs()
    }


def nav_items() -> list[NavItem]:
    items = [item for _label, p in plugins() for item in p.nav_items]
    return sorted(items, key=lambda item: item.order)  # stable: same order keeps app order


def deadline_kinds() -> dict[str, DeadlineKind]:
    return {k.kind: k for _label, p in plugins() for k in p.deadline_kinds}


def deadline_kinds_by_app() -> list[tuple[str, list[DeadlineKind]]]:
    """(app label, its declared deadline kinds) of every app that declares some, in app order."""
    return [(label, list(p.deadline_kinds)) for label, p in plugins() if p.deadline_kinds]


def kinds_outside_timer_inbox() -> set[str]:
    return {kind for kind, k in deadline_kinds().items() if not k.in_timer_inbox}


@cache
def _import(path: str):
    return import_string(path)


def inbox_providers() -> list:
    """Provider instances, one per declared class, in app order."""
    return [_import(path)() for _label, p in plugins() for path in p.inbox_providers]


def hook(name: str) -> list[Callable]:
    """Every callable declared under hook `name` (several apps may answer one hook; none is
    fine: the caller's process goes on without that app)."""
    return [_import(p.hooks[name]) for _label, p in plugins() if name in p.hooks]


def call_hook(name: str, /, **kwargs) -> list:
    return [fn(**kwargs) for fn in hook(name)]


def _put_policy(kind: DeadlineKind, policy: DefaultPolicy):
    from service_ops.deadlines.models import DeadlinePolicy

    row, _created = DeadlinePolicy.objects.get_or_create(
        code=policy.code,
        defaults={
            "name": policy.name,
            "kind": kind.kind,
            "unit": policy.unit,
            "limit": policy.limit,
            "max_total": policy.max_total,
            "escalation_chain": list(policy.escalation_chain),
        },
    )
    return row


def default_policy(code: str):
    """The DeadlinePolicy row of a declared default (put back if a flush removed it)."""
    for kind in deadline_kinds().values():
        for policy in kind.policies:
            if policy.code == code:
                return _put_policy(kind, policy)
    raise LookupError(f"no app declares a default deadline policy {code!r}")


def seed_defaults() -> None:
    """Put every app's default deadline policies and rule rows in place (idempotent; an edited
    row is kept). Runs after migrate and after a test flushes the tables."""
    for _label, p in plugins():
        for kind in p.deadline_kinds:
            for policy in kind.policies:
                _put_policy(kind, policy)
        if p.seed_defaults:
            _import(p.seed_defaults)()


def load_demo(*, units, users, stdout=None) -> None:
    """Each app's demo business data, on top of the demo network (`manage.py load_demo`)."""
    for label, p in plugins():
        if p.demo:
            logger.info("demo data: %s", label)
            _import(p.demo)(units=units, users=users, stdout=stdout)


def bench_parts() -> list[tuple[str, Any]]:
    """(app label, BenchPart) of every app that adds to the volume benchmark, in app order."""
    return [(label, _import(p.bench)) for label, p in plugins() if p.bench]


def audited() -> list[Audited]:
    return [item for _label, p in plugins() for item in p.audited]


def reports_by_app() -> list[tuple[str, list[Report]]]:
    """(app label, its declared reports) of every app that declares some, in app order."""
    return [(label, list(p.reports)) for label, p in plugins() if p.reports]


def report(key: str) -> Report | None:
    for _label, p in plugins():
        for entry in p.reports:
            if entry.key == key:
                return entry
    return None


def web_urls() -> list[tuple[str, str]]:
    return [p.web_urls for _label, p in plugins() if p.web_urls] + [
        pair for _label, p in plugins() for pair in p.extra_web_urls
    ]


def api_urls() -> list[str]:
    return [p.api_urls for _label, p in plugins() if p.api_urls]


def webhook_sources() -> dict[str, list[WebhookSource]]:
    """{"app_label.modelname" (lower case): its declared webhook sources}."""
    found: dict[str, list[WebhookSource]] = {}
    for _label, p in plugins():
        for source in p.webhook_events:
            found.setdefault(source.model.lower(), []).append(source)
    return found


def webhook_event_types() -> list[tuple[str, Any]]:
    """(event type, label) of every declared source, in app order, each type once."""
    seen: dict[str, Any] = {}
    for _label, p in plugins():
        for source in p.webhook_events:
            seen.setdefault(source.event, source.label or source.event)
    return list(seen.items())
