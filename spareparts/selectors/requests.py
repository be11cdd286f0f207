"""Reads of the part requests and the dealer quotes, always scoped by the viewer (a service point
its own warehouse's requests, a dealer its own quotes), and their 我的工作 providers."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from service_ops.work import WorkItem

from ..choices import QuoteState, RequestState
from ..models import DealerQuote, PartRequest
from ..permissions import is_parts_staff, may_approve_request


def part_requests(user, *, state: str = "", warehouse_id: int | None = None) -> QuerySet:
    qs = PartRequest.objects.visible_to(user).select_related("warehouse", "requested_by")
    if state in RequestState.values:
        qs = qs.filter(state=state)
    if warehouse_id:
        qs = qs.filter(warehouse_id=warehouse_id)
    return qs


def dealer_quotes(user, *, state: str = "") -> QuerySet:
    qs = DealerQuote.objects.visible_to(user).select_related("dealer")
    if state in QuoteState.values:
        qs = qs.filter(state=state)
    return qs


class PartRequestProvider:
    """我的工作: part requests waiting for the parts supervisor's approval, and approved or picked
    ones waiting for the parts staff to pick or ship, oldest first."""

    name = "spareparts.requests"
    label = gettext_lazy("配件申请")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        states = []
        if may_approve_request(user):
            states.append(RequestState.REQUESTED)
        if is_parts_staff(user):
            states += [RequestState.APPROVED, RequestState.PICKED]
        if not states:
            return []
        rows = (
            PartRequest.objects.filter(state__in=states)
            .select_related("warehouse")
            .order_by("id")[:limit]
        )
        what = {
            RequestState.REQUESTED: _("配件申请 %(no)s 待审批"),
            RequestState.APPROVED: _("配件申请 %(no)s 待备货"),
            RequestState.PICKED: _("配件申请 %(no)s 待发货"),
        }
        return [
            WorkItem(
                key=f"spareparts.request:{r.pk}",
                kind=self.name,
                kind_label=self.label,
                what=what[r.state] % {"no": r.number},
                url=r.get_absolute_url(),
                since=r.created_at,
                where=r.warehouse.name,
            )
            for r in rows
        ]


class DealerQuoteProvider:
    """我的工作: dealer quotes the parts staff have to price, settle or ship."""

    name = "spareparts.quotes"
    label = gettext_lazy("代理商报价")

    def items(self, user, *, now: datetime, limit: int) -> list[WorkItem]:
        if not is_parts_staff(user):
            return []
        what = {
            QuoteState.ASKED: _("报价单 %(no)s 待报价"),
            QuoteState.ACCEPTED: _("报价单 %(no)s 待收款或开票"),
            QuoteState.PAID: _("报价单 %(no)s 待发货"),
            QuoteState.INVOICED: _("报价单 %(no)s 待发货"),
        }
        rows = (
            DealerQuote.objects.filter(state__in=list(what))
            .select_related("dealer")
            .order_by("id")[:limit]
        )
        return [
            WorkItem(
                key=f"spareparts.quote:{q.pk}",
                kind=self.name,
                kind_label=self.label,
                what=what[q.state] % {"no": q.number},
                url=q.get_absolute_url(),
                since=q.created_at,
                where=q.dealer.name,
            )
            for q in rows
        ]
