"""Admin of the repairs app: every rule table has an admin whose list and add pages load for a
superuser; process objects are read-only and no state field is ever a form field."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django_fsm import FSMField

from repairs.models import (
    ApprovalChainTemplate,
    LoanerUnit,
    LotLimitRule,
    RepairOrder,
    ReturnApplication,
    ReturnPolicy,
)
from service_ops.admin import ReadOnlyAdmin

RULE_TABLES = [ApprovalChainTemplate, ReturnPolicy, LotLimitRule, LoanerUnit]


def _url(model, view: str) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


@pytest.mark.parametrize("model", RULE_TABLES, ids=lambda m: m.__name__)
def test_each_rule_table_has_an_admin_whose_list_and_add_pages_load(admin_client, net, model):
    ReturnPolicy.objects.all().delete()  # one row: it may be added only while there is none
    assert model in admin.site._registry
    assert admin_client.get(_url(model, "changelist")).status_code == 200
    assert admin_client.get(_url(model, "add")).status_code == 200


def test_the_approval_chain_page_edits_its_steps_inline(admin_client, net):
    chain = ApprovalChainTemplate.objects.first()
    response = admin_client.get(
        reverse("admin:repairs_approvalchaintemplate_change", args=[chain.pk])
    )
    assert response.status_code == 200
    inlines = [f.formset.model for f in response.context["inline_admin_formsets"]]
    assert [m.__name__ for m in inlines] == ["ApprovalStepTemplate"]


def test_the_return_policy_is_one_row(admin_client, net):
    ReturnPolicy.current()
    assert admin_client.get(_url(ReturnPolicy, "add")).status_code == 403


@pytest.mark.parametrize("model", [ReturnApplication, RepairOrder], ids=lambda m: m.__name__)
def test_process_objects_are_read_only(admin_client, net, model):
    assert admin_client.get(_url(model, "changelist")).status_code == 200
    assert admin_client.get(_url(model, "add")).status_code == 403


def test_no_repairs_admin_offers_a_state_field_to_edit(db, admin_user):
    request = _request(admin_user)
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label != "repairs":
            continue
        assert not type(model_admin).__name__.startswith("FSM")
        states = [f.name for f in model._meta.fields if isinstance(f, FSMField)]
        if not states:
            continue
        if not isinstance(model_admin, ReadOnlyAdmin):
            # master data with a state (a backup unit joins the pool here): the state is shown,
            # never an editable field — it moves only through the services
            readonly = set(model_admin.get_readonly_fields(request))
            assert set(states) <= readonly, model
            continue
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_add_permission(request)
