"""Supervisors' callback lists (专项回访名单, issue 17 item 3): customers chosen by filters, one
callback task each, handed evenly to the agents on shift.

Decisions:
- Filters: the customer's org unit (its whole subtree), city, an installation of a product model
  and/or within an installation date range (the same installation must match both), not
  surveyed within N days, has a phone. The call centre's rule (`CallbackRules.no_repeat_days`,
  the one `recently_surveyed` applies) always holds too: a larger N only widens it. It is applied
  in SQL for the whole selection, not per row.
- The caller sees only the customers of their own subtree (headquarters: all).
- Bounded: more matches than `limit` (default 2000) is refused, with the number that matched, and
  nothing is created; so is no match at all.
- The tasks are created in bulk (one INSERT), and their timers too: the first task's timer is
  started by the deadline engine (`deadline_start`), and every other task of the list gets a copy
  of it (same policy, start, due, warning and next action — they start at the same moment
  under the same policy), its own owner and label, and its own START log row. See the report
  (a `deadline_start_many` in the engine would replace the copying).
- Assignment (`assign=True`) goes through `callback_assign` (the even hand-out to the agents
  on shift), in slices of its maximum; with nobody on shift the list is still made and waits in
  the pool (the caller is told).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from network.models import OrgUnit
from network.visibility import scope_by_org, subtree_ids, user_org_unit
from service_ops.deadlines.models import Deadline, DeadlineLog
from service_ops.deadlines.services import deadline_start
from service_ops.i18n import split
from service_ops.plugins import default_policy

from ..choices import CallbackPurpose, CallbackState
from ..models import CallbackList, CallbackRequest, Customer, Installation
from ..permissions import may_assign_callbacks
from ..plugin import CALLBACK_POLICY
from . import callbacks as cb
from .roster import agents_on_shift

DEFAULT_LIMIT = 2000
PREVIEW_ROWS = 20


@dataclass
class ListFilters:
    org_unit: int | None = None
    city: str = ""
    product_model: str = ""
    installed_from: date | None = None
    installed_to: date | None = None
    not_surveyed_days: int | None = None
    has_phone: bool = True

    @classmethod
    def from_dict(cls, data: dict | None) -> ListFilters:
        """From a form's cleaned data or the stored JSON; bad values are errors, not ignored."""
        data = data or {}
        errors: dict[str, str] = {}

        def day(name):
            value = data.get(name)
            if value in (None, ""):
                return None
            if isinstance(value, date):
                return value
            try:
                return date.fromisoformat(str(value))
            except ValueError:
                errors[name] = _("日期格式不正确")
                return None

        unit = data.get("org_unit")
        if isinstance(unit, OrgUnit):
            unit = unit.pk
        try:
            unit = int(unit) if unit not in (None, "") else None
        except (TypeError, ValueError):
            errors["org_unit"] = _("请选择单位")
            unit = None
        days = data.get("not_surveyed_days")
        try:
            days = int(days) if days not in (None, "") else None
        except (TypeError, ValueError):
            errors["not_surveyed_days"] = _("请填写天数")
            days = None
        if days is not None and not 0 <= days <= 3650:
            errors["not_surveyed_days"] = _("天数须在 0–3650 之间")
        f = cls(
            org_unit=unit,
            city=str(data.get("city") or "").strip()[:40],
            product_model=str(data.get("product_model") or "").strip()[:60],
            installed_from=day("installed_from"),
            installed_to=day("installed_to"),
            not_surveyed_days=days,
            has_phone=data.get("has_phone", True) not in (False, "", "0", "false", None),
        )
        if f.installed_from and f.installed_to and f.installed_from > f.installed_to:
            errors["installed_to"] = _("结束日期不能早于开始日期")
        if errors:
            raise ValidationError(errors)
        return f

    def as_json(self) -> dict:
        return {
            "org_unit": self.org_unit,
            "city": self.city,
            "product_model": self.product_model,
            "installed_from": self.installed_from.isoformat() if self.installed_from else None,
            "installed_to": self.installed_to.isoformat() if self.installed_to else None,
            "not_surveyed_days": self.not_surveyed_days,
            "has_phone": self.has_phone,
        }


@dataclass
class BuildResult:
    callback_list: CallbackList
    given: dict[int, int] = field(default_factory=dict)
    no_agents: bool = False

    @property
    def assigned(self) -> int:
        return sum(self.given.values())


def customers_for(actor, f: ListFilters, *, at: datetime) -> QuerySet:
    """The customers the filters choose, within the actor's subtree."""
    qs = scope_by_org(Customer.objects.all(), actor, "org_unit")
    if f.org_unit:
        unit = OrgUnit.objects.filter(pk=f.org_unit).first()
        qs = qs.filter(org_unit_id__in=subtree_ids(unit)) if unit else qs.none()
    if f.city:
        qs = qs.filter(city=f.city)
    if f.product_model or f.installed_from or f.installed_to:
        installed = Installation.objects.filter(customer=OuterRef("pk"))
        if f.product_model:
            installed = installed.filter(product_model__iexact=f.product_model)
        if f.installed_from:
            installed = installed.filter(installed_on__gte=f.installed_from)
        if f.installed_to:
            installed = installed.filter(installed_on__lte=f.installed_to)
        qs = qs.filter(Exists(installed))
    if f.has_phone:
        qs = qs.exclude(phone="")
    # recently_surveyed's rule, for the whole selection: reached (done) within the days
    days = max(f.not_surveyed_days or 0, cb.rules().no_repeat_days or 0)
    if days:
        surveyed = CallbackRequest.objects.filter(
            customer=OuterRef("pk"),
            state=CallbackState.DONE,
            reached_at__gte=at - timedelta(days=days),
        )
        qs = qs.filter(~Exists(surveyed))
    return qs


def preview(*, actor, filters, at: datetime | None = None) -> tuple[int, list[Customer]]:
    """How many customers the filters choose, and the first PREVIEW_ROWS of them. Two queries."""
    if not may_assign_callbacks(user=actor):
        raise PermissionDenied(_("只有坐席组长或主管可以生成回访名单"))
    at = at or timezone.now()
    qs = customers_for(actor, ListFilters.from_dict(filters), at=at)
    rows = list(qs.select_related("org_unit").order_by("pk")[:PREVIEW_ROWS])
    return (len(rows) if len(rows) < PREVIEW_ROWS else qs.count()), rows


def _copy_timers(template: Deadline, tasks: list[CallbackRequest]) -> None:
    """Every task's timer as a copy of `template` (the first task's, started by the engine)."""
    skip = {"id", "owner_id", "label", "texts"}
    values = {
        f.attname: getattr(template, f.attname)
        for f in Deadline._meta.concrete_fields
        if f.attname not in skip
    }
    copies = []
    for task in tasks:
        label, texts = split(cb._label(task))
        copies.append(
            Deadline(
                **values,
                owner_id=task.pk,
                label=label[:200],
                texts={"label": texts} if texts else None,
            )
        )
    made = Deadline.objects.bulk_create(copies, batch_size=1000)
    start = DeadlineLog.objects.filter(deadline=template, kind=DeadlineLog.Kind.START).first()
    DeadlineLog.objects.bulk_create(
        [
            DeadlineLog(
                deadline=d,
                kind=DeadlineLog.Kind.START,
                at=start.at if start else d.started_at,
                due_after=d.due_at,
            )
            for d in made
        ],
        batch_size=1000,
    )


@transaction.atomic
def callback_list_build(
    *,
    actor,
    name: str,
    note: str = "",
    filters: dict | None = None,
    at: datetime | None = None,
    limit: int = DEFAULT_LIMIT,
    assign: bool = True,
) -> BuildResult:
    """A new list of the customers the filters choose, one 专项回访 task each with its timer,
    handed evenly to the agents on shift when `assign`. Refused (nothing made) when the filters
    choose nobody or more than `limit`."""
    at = at or timezone.now()
    if not may_assign_callbacks(user=actor):
        raise PermissionDenied(_("只有坐席组长或主管可以生成回访名单"))
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写名单名称")})
    f = ListFilters.from_dict(filters)
    qs = customers_for(actor, f, at=at)
    rows = list(qs.order_by("pk").values_list("pk", "name", "phone", "org_unit_id")[: limit + 1])
    if not rows:
        raise ValidationError(_("没有符合条件的客户"))
    if len(rows) > limit:
        raise ValidationError(
            _("符合条件的客户有 %(n)d 位，超过一次最多 %(limit)d 位，请缩小筛选范围")
            % {"n": qs.count(), "limit": limit}
        )
    the_list = CallbackList.objects.create(
        name=name[:100],
        note=(note or "").strip()[:1000],
        created_by=actor,
        created_at=at,
        org_unit=user_org_unit(actor),
        filters=f.as_json(),
        size=len(rows),
    )
    customer_type = ContentType.objects.get_for_model(Customer)
    tasks = CallbackRequest.objects.bulk_create(
        [
            CallbackRequest(
                subject_type=customer_type,
                subject_id=pk,
                purpose=CallbackPurpose.SUPERVISOR_LIST,
                batch=the_list,
                customer_id=pk,
                contact_name=(customer_name or "")[:60],
                contact_phone=phone[:40],
                created_at=at,
                org_unit_id=unit_id,
                note=the_list.name[:200],
            )
            for pk, customer_name, phone, unit_id in rows
        ],
        batch_size=1000,
    )
    template = deadline_start(
        policy=default_policy(CALLBACK_POLICY),
        owner=tasks[0],
        org_unit=cb._root(),
        started_at=at,
        label=cb._label(tasks[0]),
    )
    _copy_timers(template, tasks[1:])
    CallbackRequest.objects.filter(batch=the_list).update(due_at=template.due_at)
    result = BuildResult(callback_list=the_list)
    if assign:
        agents = list(agents_on_shift(at))
        if not agents:
            result.no_agents = True
            return result
        ids = [t.pk for t in tasks]
        for start in range(0, len(ids), cb.MAX_ASSIGN):
            given = cb.callback_assign(
                task_ids=ids[start : start + cb.MAX_ASSIGN], actor=actor, agents=agents, at=at
            )
            for agent_id, n in given.items():
                result.given[agent_id] = result.given.get(agent_id, 0) + n
    return result
