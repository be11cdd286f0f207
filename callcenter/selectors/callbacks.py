"""Reads of callbacks (回访): who sees which task, the supervisors' list, the agent's queue, the
subject's summary on the call screen, and the 我的工作 provider."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy

from network.visibility import scope_by_org
from service_ops.deadlines.models import OPEN_STATUSES, Deadline
from service_ops.paging import capped_count
from service_ops.work import WorkItem
from service_ops.workcalendar import clock

from ..choices import OPEN_CALLBACK_STATES, CallbackPurpose, CallbackState
from ..models import CallbackRequest, Installation
from ..permissions import may_enter_installations, may_read_callbacks, may_take_callbacks

QUEUE_SIZE = 20


def callbacks_visible_to(user, qs: QuerySet | None = None) -> QuerySet:
    """The call centre and headquarters see every task; a branch its own department's (the
    reports "go to the departments"); partners none."""
    qs = CallbackRequest.objects.all() if qs is None else qs
    if not may_read_callbacks(user):
        return qs.none()
    return scope_by_org(qs, user, "org_unit")


def installations_visible_to(user, qs: QuerySet | None = None) -> QuerySet:
    qs = Installation.objects.all() if qs is None else qs
    if not (may_read_callbacks(user) or may_enter_installations(user)):
        return qs.none()
    return scope_by_org(qs, user, "org_unit")


def callback_for(user, pk: int) -> CallbackRequest:
    return (
        callbacks_visible_to(user)
        .select_related("customer", "assignee", "org_unit", "subject_type", "parent")
        .get(pk=pk)
    )


# --- the supervisors' list ----------------------------------------------------------------------


@dataclass
class CallbackFilter:
    purpose: str = ""
    state: str = ""
    org_unit: int | None = None
    start: date | None = None
    end: date | None = None
    assignee: str = ""  # "" any, "none" unassigned, or a user id

    @classmethod
    def from_params(cls, params) -> CallbackFilter:
        def day(name):
            try:
                return date.fromisoformat(params.get(name, ""))
            except ValueError:
                return None

        try:
            org_unit = int(params.get("org_unit") or 0) or None
        except ValueError:
            org_unit = None
        purpose = params.get("purpose", "")
        state = params.get("state", "")
        assignee = params.get("assignee", "")
        return cls(
            purpose=purpose if purpose in CallbackPurpose.values else "",
            state=state if state in CallbackState.values or state == "open" else "",
            org_unit=org_unit,
            start=day("start"),
            end=day("end"),
            assignee=assignee if assignee == "none" or assignee.isdigit() else "",
        )

    def apply(self, qs: QuerySet) -> QuerySet:
        if self.purpose:
            qs = qs.filter(purpose=self.purpose)
        if self.state == "open":
            qs = qs.filter(state__in=OPEN_CALLBACK_STATES)
        elif self.state:
            qs = qs.filter(state=self.state)
        if self.org_unit:
            qs = qs.filter(org_unit_id=self.org_unit)
        if self.start:
            qs = qs.filter(created_at__gte=clock.at_local(self.start, datetime.min.time()))
        if self.end:
            qs = qs.filter(
                created_at__lt=clock.at_local(self.end + timedelta(days=1), datetime.min.time())
            )
        if self.assignee == "none":
            qs = qs.filter(assignee__isnull=True)
        elif self.assignee:
            qs = qs.filter(assignee_id=int(self.assignee))
        return qs

    def as_params(self) -> dict:
        return {
            key: value
            for key, value in (
                ("purpose", self.purpose),
                ("state", self.state),
                ("org_unit", self.org_unit or ""),
                ("start", self.start.isoformat() if self.start else ""),
                ("end", self.end.isoformat() if self.end else ""),
                ("assignee", self.assignee),
            )
            if value
        }


def callback_list(user, f: CallbackFilter) -> QuerySet:
    return (
        f.apply(callbacks_visible_to(user))
        .select_related("customer", "assignee", "org_unit")
        .order_by("-id")
    )


def with_subjects(tasks) -> list:
    """Fetch each task's subject with one query per kind of subject (GenericForeignKey)."""
    tasks = list(tasks)
    by_type: dict[int, set[int]] = {}
    for task in tasks:
        by_type.setdefault(task.subject_type_id, set()).add(task.subject_id)
    found: dict[tuple[int, int], object] = {}
    for type_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:
            continue
        for obj in model._default_manager.filter(pk__in=ids):
            found[(type_id, obj.pk)] = obj
    for task in tasks:
        task._subject_cache = found.get((task.subject_type_id, task.subject_id))
        task.subject_obj = task._subject_cache
    return tasks


# --- the agent's queue --------------------------------------------------------------------------


def agent_queue(agent, *, now: datetime) -> tuple[list[CallbackRequest], int]:
    """The first tasks the agent may call now (their own first), and how many there are (capped)."""
    from ..services.callbacks import queue_for

    qs = queue_for(agent, now=now)
    rows = list(
        qs.select_related("customer", "org_unit")
        .annotate(mine=Case(When(assignee=agent, then=Value(0)), default=Value(1)))
        .order_by("mine", F("due_at").asc(nulls_last=True), "id")[:QUEUE_SIZE]
    )
    return rows, capped_count(qs)


# --- the call screen: what the call is about ----------------------------------------------------

SUMMARY_FIELDS = (
    "number",
    "product_model",
    "serial_number",
    "installed_on",
    "fault_description",
    "diagnosis",
    "repair_notes",
    "shipped_on",
    "carrier",
    "tracking_number",
)


def subject_summary(subject) -> list[tuple[str, str]]:
    """(label, value) pairs of what the call is about, read from the subject's own fields (a
    repair order: its number, model, serial, fault, diagnosis, what was done, shipping), without
    importing its app."""
    if subject is None:
        return []
    rows: list[tuple[str, str]] = []
    meta = getattr(subject, "_meta", None)
    for name in SUMMARY_FIELDS:
        value = getattr(subject, name, None)
        if value in (None, ""):
            continue
        label = name
        if meta is not None:
            try:
                label = str(meta.get_field(name).verbose_name)
            except Exception:
                label = {"number": str(gettext_lazy("编号"))}.get(name, name)
        rows.append((label, str(value)))
    if not rows:
        rows.append((str(gettext_lazy("对象")), str(subject)))
    return rows


def subject_url(subject, user) -> str:
    url = getattr(subject, "get_absolute_url", None)
    if not callable(url):
        return ""
    try:
        return url()
    except Exception:
        return ""


def timers_of(tasks) -> dict[int, Deadline]:
    from ..plugin import CALLBACK_KIND

    ids = [t.pk for t in tasks]
    if not ids:
        return {}
    found = Deadline.objects.filter(
        owner_type=ContentType.objects.get_for_model(CallbackRequest),
        owner_id__in=ids,
        kind=CALLBACK_KIND,
        status__in=OPEN_STATUSES,
    ).select_related("org_unit")
    return {d.owner_id: d for d in found}


# --- 我的工作 --------------------------------------------------------------------------------


class CallbackProvider:
    """The agent's callbacks: their own open tasks, then the unassigned pool, each with its
    promise (time left) and when it may be called (the queue offers it only then)."""

    name = "callcenter.callbacks"
    label = gettext_lazy("回访")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        if not may_take_callbacks(user=user):
            mine = CallbackRequest.objects.filter(assignee=user, state=CallbackState.ASSIGNED)
        else:
            mine = CallbackRequest.objects.filter(
                Q(assignee=user, state=CallbackState.ASSIGNED)
                | Q(assignee__isnull=True, state=CallbackState.PENDING)
            )
        tasks = list(
            mine.select_related("customer").order_by(F("due_at").asc(nulls_last=True), "id")[:limit]
        )
        if not tasks:
            return []
        from ..services.callbacks import next_callable_at, rules

        r = rules()
        timers = timers_of(tasks)
        items = []
        for task in tasks:
            timer = timers.get(task.pk)
            when = next_callable_at(task, now, r)
            if when is None:
                note = str(gettext_lazy("无联系电话")) if task.customer_id is None else ""
            elif when <= now:
                note = str(gettext_lazy("现在可拨打"))
            else:
                note = str(gettext_lazy("可拨打时间：%(t)s")) % {
                    "t": timezone.localtime(when).strftime("%m-%d %H:%M")
                }
            items.append(
                WorkItem(
                    key=f"callcenter.callback:{task.pk}",
                    kind=self.name,
                    kind_label=self.label,
                    what=str(timer) if timer else str(task),
                    url=task.get_absolute_url(),
                    since=task.created_at,
                    due_at=timer.due_at if timer else task.due_at,
                    deadline=timer,
                    where=task.customer.name if task.customer_id else task.contact_name,
                    note=note,
                )
            )
        return items
