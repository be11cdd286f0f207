"""Faulty parts owed back (旧件返还): recording a warranty replacement's two serials, the faulty
part owed by whoever replaced it (a service point, a field office, an engineer) with a due date
on the deadline engine, its receipt into the headquarters' faulty stock (旧件仓, a warehouse of
its own so a faulty part is never reserved or issued) or its write-off with a reason.

A repair workshop at headquarters hands its faulty part in at once (`received_now`): the record is
received in the same transaction, no due date runs. Every state change goes through
run_transition; the ledger entry of a receipt is a RETURN movement into the faulty stock."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from network.choices import OrgKind
from network.models import OrgUnit
from service_ops.deadlines.services import close_open_deadlines_of, deadline_start
from service_ops.i18n import deferred
from service_ops.transitions.models import ActionChannel
from service_ops.transitions.services import run_transition
from service_ops.workcalendar import clock

from ..choices import MovementKind, WarehouseKind
from ..models import FaultyPartReturn, Part, Warehouse
from ..permissions import is_parts_staff
from .stock import _post, _source, locked_balance

FAULTY_KIND = "parts.faulty_return"
FAULTY_POLICY = "faulty-part-return"
FAULTY_WAREHOUSE_CODE = "HQ-FAULTY"


def workshop_warehouse() -> Warehouse | None:
    """The warehouse the headquarters' repair workshop draws its parts from: the headquarters
    parts warehouse (the first active one by code)."""
    return Warehouse.objects.filter(kind=WarehouseKind.HQ, is_active=True).order_by("code").first()


def faulty_warehouse() -> Warehouse:
    """The headquarters' faulty stock (旧件仓), made on first use."""
    found = Warehouse.objects.filter(code=FAULTY_WAREHOUSE_CODE).first()
    if found is not None:
        return found
    hq = OrgUnit.objects.filter(kind=OrgKind.HEADQUARTERS).order_by("pk").first()
    if hq is None:
        raise ValidationError(_("没有总部组织，无法建立旧件仓"))
    warehouse, _created = Warehouse.objects.get_or_create(
        code=FAULTY_WAREHOUSE_CODE,
        defaults={"name": _("总部旧件仓"), "kind": WarehouseKind.FAULTY, "org_unit": hq},
    )
    return warehouse


def _serials(part: Part, faulty_serial: str, new_serial: str) -> tuple[str, str]:
    faulty_serial = (faulty_serial or "").strip()[:60]
    new_serial = (new_serial or "").strip()[:60]
    errors = {}
    if not faulty_serial:
        errors["faulty_serial"] = _("请填写旧件序列号")
    if not new_serial:
        errors["new_serial"] = _("请填写新件序列号")
    if faulty_serial and faulty_serial == new_serial:
        errors["new_serial"] = _("新件序列号不能与旧件相同")
    if errors:
        raise ValidationError(errors)
    return faulty_serial, new_serial


@transaction.atomic
def faulty_part_record(
    *,
    part: Part,
    faulty_serial: str,
    new_serial: str,
    owed_by_unit: OrgUnit,
    owed_by=None,
    actor,
    source: Model | None = None,
    received_now: bool = False,
) -> FaultyPartReturn:
    """A part replaced under warranty: both serials, and the faulty part owed back to
    headquarters within the policy's working days (told to the owner, then the parts
    supervisor when late). `received_now`: handed in at once (the workshop at headquarters)."""
    faulty_serial, new_serial = _serials(part, faulty_serial, new_serial)
    record = FaultyPartReturn.objects.create(
        part=part,
        faulty_serial=faulty_serial,
        new_serial=new_serial,
        unit_cost=part.cost,
        owed_by_unit=owed_by_unit,
        owed_by=owed_by,
        due_on=timezone.localdate(),
        **_source(source),
    )
    if received_now:
        _receive(record.pk, actor=actor, channel=ActionChannel.SYSTEM)
        record.refresh_from_db()
        return record
    deadline = deadline_start(
        policy=FAULTY_POLICY,
        owner=record,
        org_unit=owed_by_unit,
        assignee=owed_by,
        actor=actor,
        label=deferred(
            gettext_noop("旧件返还 %(p)s 序列号 %(s)s（%(src)s）"),
            p=part.number,
            s=faulty_serial,
            src=record.source_label or "-",
        ),
    )
    FaultyPartReturn.objects.filter(pk=record.pk).update(due_on=clock.local_date(deadline.due_at))
    record.refresh_from_db()
    return record


def _receive(return_id: int, *, actor, channel=ActionChannel.WEB) -> FaultyPartReturn:
    with transaction.atomic():
        record = FaultyPartReturn.objects.select_related("part").get(pk=return_id)
        warehouse = faulty_warehouse()
        movement = _post(
            locked_balance(record.part_id, warehouse.pk),
            kind=MovementKind.RETURN,
            on_hand_change=1,
            actor=actor,
            reason=_("旧件返还 %(s)s") % {"s": record.faulty_serial},
            source=record.source_type.get_object_for_this_type(pk=record.source_id)
            if record.source_type_id
            else None,
        )
        record = run_transition(
            FaultyPartReturn,
            return_id,
            transition="receive",
            actor=actor,
            channel=channel,
            kwargs={"actor": actor, "movement": movement},
        )
        close_open_deadlines_of(record, actor=actor)
        return record


def faulty_part_receive(*, return_id: int, actor) -> FaultyPartReturn:
    """The parts warehouse receives the faulty part into the faulty stock (旧件仓)."""
    if not is_parts_staff(actor):
        raise PermissionDenied(_("只有配件仓人员可以登记旧件返还"))
    return _receive(return_id, actor=actor)


@transaction.atomic
def faulty_part_write_off(*, return_id: int, actor, reason: str) -> FaultyPartReturn:
    """核销: the faulty part will not come back (lost, scrapped on site); the reason is kept."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("请填写核销原因")]}, code="required")
    if not is_parts_staff(actor):
        raise PermissionDenied(_("只有配件仓人员可以核销旧件"))
    record = run_transition(
        FaultyPartReturn,
        return_id,
        transition="write_off",
        actor=actor,
        comment=reason,
        kwargs={"reason": reason},
    )
    close_open_deadlines_of(record, actor=actor)
    return record
