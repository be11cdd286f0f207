"""我的工作 providers of repairs (declared in repairs/plugin.py): the tasks that wait for a person
here, with their timer when they have one. Each provider runs a constant number of queries.

- signatures: approval steps I may sign now (holder or deputy), with the step's timer;
- rejected applications to fix and resubmit (the applicant's side);
- quotes waiting for the shipper's answer (the applicant's side, the dealer's people);
- penalties proposed for an unauthorised arrival, for the head of customer service;
- month-end statements waiting for the branch manager's signature, then for customer service
  to hand them over to sales dispatch, then for the dispatcher's transfer (划账);
- units on the Wednesday/Saturday review list without a decision, for the workshop and clerks;
- units past their repair limit, for the repair supervisor.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Max, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from network.choices import OrgKind, Role
from network.visibility import user_org_unit
from service_ops.deadlines.models import Deadline, DeadlineStatus
from service_ops.i18n import choice_label, data_text
from service_ops.reversing import reverse_id
from service_ops.work import WorkItem, role_scopes

from ..choices import ApplicationState, PenaltyState, QuoteState, StatementState
from ..models import (
    MonthlyStatement,
    Penalty,
    Quote,
    RepairOrder,
    ReturnApplication,
    ReviewItem,
)
from ..permissions import SUBMITTER_ROLES, has_role, may_decide_penalties, may_review
from .orders import open_timers_by_owner
from .returns import signature_queue, step_deadlines_by_id


class SignatureProvider:
    name = "repairs.signatures"
    label = gettext_lazy("待我签字")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        # rows, not six model instances a step (the step, its application, branch, dealer,
        # applicant, unit): the items need a few of their columns
        steps = list(
            signature_queue(user).values(
                "pk",
                "position",
                "name",
                "application__number",
                "application__submitted_at",
                "application__dealer__name",
                "application__branch__name",
            )[:limit]
        )
        timers = step_deadlines_by_id([step["pk"] for step in steps])
        what = _("%(no)s 第 %(k)d 步：%(name)s")  # translated once: a page lists up to `limit`
        items = []
        for step in steps:
            timer = timers.get(step["pk"])
            number = step["application__number"]
            where = step["application__dealer__name"] or step["application__branch__name"]
            items.append(
                WorkItem(
                    key=f"repairs.step:{step['pk']}",
                    kind=self.name,
                    kind_label=self.label,
                    what=what
                    % {"no": number, "k": step["position"], "name": data_text(step["name"])},
                    url=reverse_id("repairs:step_decide", step["pk"]),
                    since=timer.started_at if timer else step["application__submitted_at"],
                    due_at=timer.due_at if timer else None,
                    deadline=timer,
                    where=where or "",
                )
            )
        return items


class RejectedApplicationProvider:
    name = "repairs.rejected"
    label = gettext_lazy("退回修改")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        mine = Q(applicant=user)
        unit = user_org_unit(user)
        if unit is not None and any(has_role(user, r) for r in SUBMITTER_ROLES):
            mine |= Q(applicant_unit=unit)
        rejected = (
            ReturnApplication.objects.filter(mine, state=ApplicationState.REJECTED)
            .annotate(rejected_at=Max("steps__decided_at"))
            .order_by("rejected_at", "pk")[:limit]
        )
        what = _("返厂申请被驳回，请修改后重新提交：%(no)s")
        return [
            WorkItem(
                key=f"repairs.application:{a.pk}",
                kind=self.name,
                kind_label=self.label,
                what=what % {"no": a.number},
                url=reverse_id("repairs:return_edit", a.pk),
                since=a.rejected_at or a.submitted_at or a.created_at,
                note=a.reject_reason,
            )
            for a in rejected
        ]


class QuoteAnswerProvider:
    name = "repairs.quotes"
    label = gettext_lazy("报价待确认")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        mine = Q(order__lot__application__applicant=user)
        unit = user_org_unit(user)
        dealer = unit is not None and unit.kind == OrgKind.DEALER
        submitter = unit is not None and any(has_role(user, r) for r in SUBMITTER_ROLES)
        if dealer:
            mine |= Q(order__dealer=unit)
        if submitter:
            mine |= Q(order__lot__application__applicant_unit=unit)
        if not (dealer or submitter or user.return_applications.exists()):
            # staff who never applied (the workshop, headquarters): no quote is theirs to answer,
            # and the sent quotes' joins cost 10 ms at a million orders to find none
            return []
        # Driven from the sent quotes (a few thousand whatever the history), not from the
        # caller's applications: a UNION of one lookup per clause was faster for staff without
        # applications but 100 ms for a dealer with thousands (measured at a million orders).
        quotes = list(
            Quote.objects.filter(mine, state=QuoteState.SENT)
            .select_related("order")
            .order_by("sent_at", "pk")[:limit]
        )
        timers = open_timers_by_owner(Quote, [q.pk for q in quotes], ["repair.quote_consent"])
        items = []
        for quote in quotes:
            timer = timers.get(quote.pk)
            order = quote.order
            items.append(
                WorkItem(
                    key=f"repairs.quote:{quote.pk}",
                    kind=self.name,
                    kind_label=self.label,
                    what=_("维修报价待确认：%(no)s %(m)s ¥%(t)s")
                    % {"no": order.number, "m": order.product_model, "t": quote.total},
                    url=order.get_absolute_url(),
                    since=quote.sent_at or quote.raised_at,
                    due_at=timer.due_at if timer else None,
                    deadline=timer,
                )
            )
        return items


class PenaltyProvider:
    name = "repairs.penalties"
    label = gettext_lazy("负激励待确认")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        if not may_decide_penalties(user):
            return []
        penalties = (
            Penalty.objects.visible_to(user)
            .filter(state=PenaltyState.PROPOSED)
            .select_related("arrival", "person")
            .order_by("arrival__arrived_at", "pk")[:limit]
        )
        return [
            WorkItem(
                key=f"repairs.penalty:{p.pk}",
                kind=self.name,
                kind_label=self.label,
                what=_("未经申请返厂 %(no)s：%(who)s %(role)s，确认或免除")
                % {
                    "no": p.arrival.number,
                    "who": p.person.get_full_name() or p.person.username,
                    "role": choice_label(p, "role"),
                },
                url=p.arrival.get_absolute_url(),
                since=p.arrival.arrived_at,
            )
            for p in penalties
        ]


def _statements_for(user, role: str, state: str, limit: int) -> list[MonthlyStatement]:
    """Statements in `state` of the branches where the user acts in `role` (own assignment or
    today's delegation), oldest month first."""
    branches = Q(pk__in=[])
    for held, path in role_scopes(user):
        if held == role:
            branches |= Q(branch__path__startswith=path)
    return list(
        MonthlyStatement.objects.filter(branches, state=state)
        .select_related("branch")
        .order_by("month", "pk")[:limit]
    )


def _statement_item(provider, s: MonthlyStatement, what: str, since) -> WorkItem:
    return WorkItem(
        key=f"repairs.statement:{s.pk}",
        kind=provider.name,
        kind_label=provider.label,
        what=what % {"m": s.month.strftime("%Y-%m"), "b": s.branch.name, "t": s.total},
        url=s.get_absolute_url(),
        since=since,
        where=s.branch.name,
    )


class StatementProvider:
    """Statements built after their month ended, for the branch manager to sign (one built
    earlier cannot be signed: customer service rebuilds it first)."""

    name = "repairs.statements"
    label = gettext_lazy("对账单待签")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        drafts = _statements_for(user, Role.BRANCH_MANAGER, StatementState.DRAFT, limit)
        return [
            _statement_item(self, s, _("%(m)s 月结对账单待签字：%(b)s ¥%(t)s"), s.generated_at)
            for s in drafts
            if s.is_final()
        ]


class StatementHandOverProvider:
    """Signed statements for customer service to submit to sales dispatch."""

    name = "repairs.statement_hand_over"
    label = gettext_lazy("对账单待交调度")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        if not has_role(user, Role.LOGISTICS_CLERK):
            return []
        signed = (
            MonthlyStatement.objects.visible_to(user)
            .filter(state=StatementState.CONFIRMED)
            .select_related("branch")
            .order_by("month", "pk")[:limit]
        )
        return [
            _statement_item(
                self, s, _("%(m)s 月结对账单已确认，待提交销售调度部：%(b)s ¥%(t)s"), s.confirmed_at
            )
            for s in signed
        ]


class StatementSettlementProvider:
    """Statements handed over to sales dispatch, for the dispatcher to settle with finance."""

    name = "repairs.statement_settlement"
    label = gettext_lazy("对账单待划账")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        waiting = _statements_for(user, Role.SALES_DISPATCHER, StatementState.HANDED_OVER, limit)
        return [
            _statement_item(self, s, _("%(m)s 月结对账单待划账：%(b)s ¥%(t)s"), s.handed_over_at)
            for s in waiting
        ]


class ReviewDecisionProvider:
    name = "repairs.reviews"
    label = gettext_lazy("超期评审")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        if not may_review(user):
            return []
        undecided = (
            ReviewItem.objects.visible_to(user)
            .filter(decision="")
            .select_related("meeting", "order")
            .order_by("meeting__held_on", "pk")[:limit]
        )
        return [
            WorkItem(
                key=f"repairs.review:{i.pk}",
                kind=self.name,
                kind_label=self.label,
                what=_("超期评审待决定：%(no)s %(m)s（超期 %(d)d 个工作日）")
                % {"no": i.order.number, "m": i.order.product_model, "d": i.overdue_days},
                url=i.meeting.get_absolute_url(),
                since=i.meeting.created_at,
            )
            for i in undecided
        ]


class OverdueWorkshopProvider:
    name = "repairs.overdue"
    label = gettext_lazy("车间超期")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        if not has_role(user, Role.REPAIR_SUPERVISOR):
            return []
        timers = list(
            Deadline.objects.filter(kind="repair.limit", status=DeadlineStatus.BREACHED)
            .select_related("org_unit")
            .order_by("due_at", "pk")[:limit]
        )
        orders = RepairOrder.objects.visible_to(user).in_bulk([t.owner_id for t in timers])
        items = []
        for timer in timers:
            order = orders.get(timer.owner_id)
            if order is None:
                continue
            items.append(
                WorkItem(
                    key=f"deadline:{timer.pk}",
                    kind=self.name,
                    kind_label=self.label,
                    what=_("超期未修：%(no)s %(m)s（%(s)s）")
                    % {
                        "no": order.number,
                        "m": order.product_model,
                        "s": choice_label(order, "state"),
                    },
                    url=order.get_absolute_url(),
                    since=timer.started_at,
                    due_at=timer.due_at,
                    deadline=timer,
                    where=str(timer.org_unit or ""),
                )
            )
        return items
