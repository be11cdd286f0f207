"""The compiled list serializers (service_ops.api.compiled) give exactly DRF's JSON: every partner
list is fetched twice over the demo data — once as served, once with DRF's own ListSerializer —
and the bodies must be equal, for every caller kind and in both languages. The repair-order list
is served from values() rows (service_ops.api.rows): its body must be the serializer's byte for
byte, over the demo data here (and over orders made to cover every state, choice and empty
field in tests/core/test_order_list_rows.py)."""

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIClient

from repairs.api.serializers import orders as order_serializers
from repairs.api.views.orders import RepairOrderViewSet
from repairs.choices import OrderState
from repairs.models import RepairOrder
from service_ops.api import compiled

User = get_user_model()

LISTS = [
    "/api/v1/repair-orders/?page_size=200",
    "/api/v1/return-applications/?page_size=200",
    "/api/v1/approval-steps/?page_size=200",
    "/api/v1/org-units/?page_size=200",
]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", "--quiet")
        yield
        transaction.set_rollback(True)


def _bodies(client, url, monkeypatch):
    # the same instant for both: paused_seconds and time_left are read from the clock
    with time_machine.travel(timezone.now(), tick=False):
        return _both(client, url, monkeypatch)


def _both(client, url, monkeypatch):
    served = client.get(url)
    with monkeypatch.context() as m:
        m.setattr(
            compiled.CompiledListSerializer,
            "to_representation",
            serializers.ListSerializer.to_representation,
        )
        m.setattr(order_serializers, "nested", _drf_nested)
        m.setattr(RepairOrderViewSet, "list", _serializer_list)
        plain = client.get(url)
    return served, plain


def _drf_nested(parent, serializer_class):
    return lambda obj: serializer_class(obj, context=parent.context).data


def _serializer_list(self, request):
    """The repair-order list through RepairOrderSerializer (instances), as before the row path."""
    page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
    serializer = order_serializers.RepairOrderSerializer(
        page, many=True, context=self.context_for(page)
    )
    return self.get_paginated_response(serializer.data)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("url", LISTS)
def test_the_compiled_lists_answer_as_drf_does(demo, db, url, language, monkeypatch):
    users = User.objects.filter(profile__isnull=False, is_active=True).order_by("username")
    assert users.count() >= 5
    seen_rows = 0
    for user in users:
        client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
        client.force_authenticate(user)
        served, plain = _bodies(client, url, monkeypatch)
        assert served.status_code == plain.status_code
        if served.status_code == 200:
            assert served.json() == plain.json(), user.username
            assert served.content == plain.content, user.username
            seen_rows += len(served.json()["results"])
    assert seen_rows > 0


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_display_field_gives_what_get_display_gives(language):
    from django.utils import translation

    class Orders(serializers.ModelSerializer):
        state_display = compiled.DisplayField(source="state")

        class Meta:
            model = RepairOrder
            fields = ["state_display"]

    field = Orders().fields["state_display"]
    with translation.override(language):
        for value, _label in OrderState.choices:
            assert field.to_representation(value) == RepairOrder(state=value).get_state_display()
        assert field.to_representation("no-such-state") == "no-such-state"
