"""Staff pages of webhooks (网点专员, 客服部部长, admins): every partner endpoint they may see with
its state, one endpoint's delivery log (keyset pages), and the buttons to re-send a delivery,
send a test event and enable an endpoint again. Scoped by the one visibility rule on the
endpoint's partner; another's endpoint is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from network.choices import Role
from network.selectors import held_roles
from network.visibility import scope_by_org
from service_ops.paging import keyset_page

from . import services
from .models import DeliveryState, WebhookDelivery, WebhookEndpoint

STAFF_ROLES = frozenset({Role.NETWORK_SPECIALIST, Role.HEAD_OF_CS})


def may_manage_webhooks(user) -> bool:
    if not user or not user.is_authenticated:
        return False
    return user.is_superuser or bool(STAFF_ROLES & held_roles(user))


def _require(request) -> None:
    if not may_manage_webhooks(request.user):
        raise PermissionDenied


def visible_endpoints(user):
    return scope_by_org(
        WebhookEndpoint.objects.select_related("org_unit"), user, "org_unit"
    ).order_by("-id")


@login_required
@require_GET
def endpoint_list(request):
    _require(request)
    endpoints = visible_endpoints(request.user)
    show = request.GET.get("show", "")
    if show == "disabled":
        endpoints = endpoints.filter(is_active=False)
    page = keyset_page(endpoints, request.GET)
    return render(request, "service_ops/webhooks/endpoint_list.html", {"page": page, "show": show})


@login_required
@require_GET
def endpoint_detail(request, pk: int):
    _require(request)
    endpoint = get_object_or_404(visible_endpoints(request.user), pk=pk)
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint)
    state = request.GET.get("state", "")
    if state in DeliveryState.values:
        deliveries = deliveries.filter(state=state)
    page = keyset_page(deliveries, request.GET)
    return render(
        request,
        "service_ops/webhooks/endpoint_detail.html",
        {
            "endpoint": endpoint,
            "page": page,
            "state": state,
            "states": DeliveryState.choices,
        },
    )


@login_required
@require_POST
def endpoint_test(request, pk: int):
    _require(request)
    endpoint = get_object_or_404(visible_endpoints(request.user), pk=pk)
    services.send_ping(endpoint=endpoint, actor=request.user)
    messages.success(request, _("已排队发送测试事件"))
    return redirect("webhooks:endpoint_detail", pk=endpoint.pk)


@login_required
@require_POST
def endpoint_enable(request, pk: int):
    _require(request)
    endpoint = get_object_or_404(visible_endpoints(request.user), pk=pk)
    services.endpoint_update(endpoint_id=endpoint.pk, is_active=True)
    messages.success(request, _("已重新启用，未送达的事件将陆续发送"))
    return redirect("webhooks:endpoint_detail", pk=endpoint.pk)


@login_required
@require_POST
def delivery_resend(request, pk: int):
    _require(request)
    delivery = get_object_or_404(
        WebhookDelivery.objects.filter(endpoint__in=visible_endpoints(request.user)), pk=pk
    )
    services.delivery_resend(delivery_id=delivery.pk, actor=request.user)
    messages.success(request, _("已排队重发"))
    return redirect("webhooks:endpoint_detail", pk=delivery.endpoint_id)
