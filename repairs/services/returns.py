"""Return applications: create, submit, sign, withdraw, book the pickup, count, receive, close.

Every state change goes through service_ops.transitions.run_transition (locked row, permission,
FSM transition, log); deadlines and notifications are written in the same transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from network.choices import OrgKind, Role
from network.models import OrgUnit
from network.selectors import role_holders
from network.visibility import user_org_unit
from service_ops.deadlines.services import (
    close_open_deadlines_of,
    deadline_cancel,
    deadline_start,
    open_deadlines_of,
)
from service_ops.i18n import choice, data_text, deferred, join
from service_ops.notifications.services import notify
from service_ops.numbering.services import next_document_number
from service_ops.transitions.models import ActionChannel
from service_ops.transitions.services import run_transition

from ..choices import (
    ApplicationState,
    DiscrepancyKind,
    FreightTerms,
    HolderScope,
    IntakeChannel,
    Platform,
    StepState,
    Urgency,
)
from ..models import (
    ApprovalChainTemplate,
    ApprovalStep,
    Discrepancy,
    ReceivedUnit,
    ReturnApplication,
    ReturnLine,
)
from ..permissions import SUBMITTER_ROLES, has_role
from ..validators import validate_purchase_date

APPROVAL_STEP_KIND = "rma.approval_step"
DEFAULT_STEP_POLICY = "rma-approval-step"

# Called inside the receiving transaction with (application, received_units, actor): the repairs
# workflow registers here to open repair orders for what arrived.
on_received: list[Callable] = []


@dataclass
class LineInput:
    product_model: str
    fault_description: str
    serial_number: str = ""
    quantity: int = 1
    purchase_date: date | None = None
    has_warranty_card: bool = True
    has_proof_of_purchase: bool = True
    has_seller_stamp: bool = True


@dataclass
class HeaderInput:
    contact_name: str
    contact_phone: str
    shipping_method: str
    freight_terms: str = FreightTerms.PREPAID
    urgency: str = Urgency.NORMAL
    pickup_address: str = ""
    remarks: str = ""
    dealer: OrgUnit | None = None
    extra: dict = field(default_factory=dict)


# --- helpers --------------------------------------------------------------------------------
def _validate_lines(lines: list[LineInput]) -> None:
    if not lines:
        raise ValidationError({"lines": _("至少填写一台返修机")})
    errors = []
    seen = set()
    for i, line in enumerate(lines, start=1):
        serial = line.serial_number.strip()
        if not line.product_model.strip():
            errors.append(_("第 %(n)d 行：请填写产品型号") % {"n": i})
        if not line.fault_description.strip():
            errors.append(_("第 %(n)d 行：请填写故障描述") % {"n": i})
        if line.quantity < 1:
            errors.append(_("第 %(n)d 行：数量至少为 1") % {"n": i})
        try:
            validate_purchase_date(line.purchase_date)
        except ValidationError as exc:
            errors += [_("第 %(n)d 行：%(e)s") % {"n": i, "e": m} for m in exc.messages]
        if serial and line.quantity != 1:
            errors.append(_("第 %(n)d 行：有出厂编号的明细数量必须为 1") % {"n": i})
        if serial and serial.upper() in seen:
            errors.append(_("第 %(n)d 行：出厂编号 %(s)s 重复") % {"n": i, "s": serial})
        seen.add(serial.upper())
    if errors:
        raise ValidationError({"lines": errors})


def _resolve_units(applicant, dealer: OrgUnit | None) -> tuple[OrgUnit, OrgUnit, OrgUnit | None]:
    """(applicant unit, branch, dealer) from who applies: a dealer applies for itself under its
    managed branch; a branch engineer for the branch (an operating one, or a managed one on a
    dealer's behalf)."""
    unit = user_org_unit(applicant)
    if unit is None:
        raise PermissionDenied(_("没有所属组织的账号不能提交返厂申请"))
    if not any(has_role(applicant, r) for r in SUBMITTER_ROLES):
        raise PermissionDenied(_("只有分公司维修工程师或代理商可以提交返厂申请"))
    if unit.kind == OrgKind.DEALER:
        dealer = unit
    branch = (dealer or unit).nearest(OrgKind.BRANCH)
    if branch is None:
        raise ValidationError(_("找不到所属分公司，请联系管理员维护组织关系"))
    if dealer is not None and not dealer.path.startswith(branch.path):
        raise ValidationError({"dealer": _("代理商不属于该分公司")})
    if unit.kind != OrgKind.DEALER and not (
        unit.path.startswith(branch.path) or branch.path.startswith(unit.path)
    ):
        # An engineer files for their own branch (or, at a province or HQ, for one below).
        raise ValidationError({"dealer": _("只能为本分公司的代理商提交返厂申请")})
    if branch.branch_kind == Platform.MANAGED and dealer is None:
        raise ValidationError({"dealer": _("管理型分公司的返厂申请须指定代理商")})
    if branch.branch_kind == Platform.OPERATING:
        dealer = None
    return unit, branch, dealer


def _write_lines(application: ReturnApplication, lines: list[LineInput]) -> None:
    ReturnLine.objects.bulk_create(
        [
            ReturnLine(
                application=application,
                product_model=line.product_model.strip(),
                serial_number=line.serial_number.strip(),
                quantity=line.quantity,
                purchase_date=line.purchase_date,
                has_warranty_card=line.has_warranty_card,
                has_proof_of_purchase=line.has_proof_of_purchase,
                has_seller_stamp=line.has_seller_stamp,
                fault_description=line.fault_description.strip(),
            )
            for line in lines
        ]
    )


def _set_header(application: ReturnApplication, header: HeaderInput) -> None:
    errors = {}
    if not header.contact_name.strip():
        errors["contact_name"] = _("请填写联系人")
    if not header.contact_phone.strip():
        errors["contact_phone"] = _("请填写联系电话")
    if header.freight_terms == FreightTerms.COLLECT:
        # refused where it is entered, not after three signatures at the pickup booking
        errors["freight_terms"] = _("运费须由发货方自付，到付一律拒收。")
    if errors:
        raise ValidationError(errors)
    application.contact_name = header.contact_name.strip()
    application.contact_phone = header.contact_phone.strip()
    application.shipping_method = header.shipping_method
    application.freight_terms = header.freight_terms
    application.urgency = header.urgency
    application.pickup_address = header.pickup_address
    application.remarks = header.remarks


# --- create and edit ------------------------------------------------------------------------
@transaction.atomic
def rma_create(*, applicant, header: HeaderInput, lines: list[LineInput]) -> ReturnApplication:
    unit, branch, dealer = _resolve_units(applicant, header.dealer)
    _validate_lines(lines)
    application = ReturnApplication(
        applicant=applicant,
        applicant_unit=unit,
        branch=branch,
        dealer=dealer,
        platform=branch.branch_kind,
    )
    _set_header(application, header)
    application.number = next_document_number("RMA")
    application.save()
    _write_lines(application, lines)
    return application


MAX_SCAN_BYTES = 10 * 1024 * 1024


@transaction.atomic
def rma_intake(
    *,
    actor,
    sender_unit: OrgUnit,
    channel: str,
    scanned_form,
    header: HeaderInput,
    lines: list[LineInput],
) -> ReturnApplication:
    """The clerk enters an application that arrived by fax or e-mail (DESIGN §2.2 Intake). The
    sender (an operating branch, or a dealer on the managed platform) stays the applicant — its
    engineer or dealer staff is named as such and told — so the chain, the visibility and the
    penalties run as usual; who entered it, how it came and its scan are kept on it."""
    from ..permissions import may_enter_on_behalf

    if not may_enter_on_behalf(actor):
        raise PermissionDenied(_("只有后勤专员可以代为录入返厂申请"))
    errors = {}
    if channel not in (IntakeChannel.FAX, IntakeChannel.EMAIL):
        errors["channel"] = _("请选择收到方式（传真或邮件）")
    if not scanned_form:
        errors["scanned_form"] = _("请上传收到的申请表扫描件（传真或邮件原件）")
    elif scanned_form.size > MAX_SCAN_BYTES:
        errors["scanned_form"] = _("扫描件不能超过 10 MB")
    applicant = _applicant_of(sender_unit)
    if applicant is None:
        errors["sender_unit"] = _(
            "%(unit)s 没有可作为申请人的人员（分公司维修工程师或代理商人员），请先在组织架构中维护"
        ) % {"unit": sender_unit}
    if errors:
        raise ValidationError(errors)
    application = rma_create(applicant=applicant, header=header, lines=lines)
    application.intake_channel = channel
    application.entered_by = actor
    application.intake_scan = scanned_form
    application.save(update_fields=["intake_channel", "entered_by", "intake_scan"])
    notify(
        recipients=[applicant],
        subject=deferred(
            gettext_noop("后勤专员已按您%(how)s的申请表代为录入返厂申请 %(no)s"),
            how=choice(application, "intake_channel"),
            no=application.number,
        ),
        url=application.get_absolute_url(),
        category="approval",
        source=application,
    )
    return application


def _applicant_of(sender_unit: OrgUnit):
    """Who applies for a unit that sent a form: an operating branch's engineer, a dealer's staff."""
    if sender_unit.kind == OrgKind.DEALER:
        role = Role.DEALER_STAFF
    elif sender_unit.kind == OrgKind.BRANCH and sender_unit.branch_kind == Platform.OPERATING:
        role = Role.BRANCH_ENGINEER
    else:
        return None
    holders = [u for u in role_holders(role, sender_unit) if user_org_unit(u) == sender_unit]
    return holders[0] if holders else None


@transaction.atomic
def rma_update(
    *, application_id: int, actor, header: HeaderInput, lines: list[LineInput]
) -> ReturnApplication:
    """Edit a draft or a rejected application (lines are replaced)."""
    from ..permissions import is_applicant_side

    application = ReturnApplication.objects.select_for_update().get(pk=application_id)
    if not is_applicant_side(actor, application):
        raise PermissionDenied(_("只有申请人可以修改申请"))
    if application.state not in (ApplicationState.DRAFT, ApplicationState.REJECTED):
        raise ValidationError(_("只有草稿或被驳回的申请可以修改"))
    _validate_lines(lines)
    _set_header(application, header)
    application.save()
    application.lines.all().delete()
    _write_lines(application, lines)
    return application


# --- submission and approval ----------------------------------------------------------------
def _scope_unit(application: ReturnApplication, scope: str) -> OrgUnit:
    if scope == HolderScope.BRANCH:
        return application.branch
    if scope == HolderScope.PROVINCE:
        return application.branch.nearest(OrgKind.PROVINCE) or application.branch
    if scope == HolderScope.HEADQUARTERS:
        return application.branch.nearest(OrgKind.HEADQUARTERS) or application.branch
    return application.applicant_unit


def _open_step(step: ApprovalStep, *, actor) -> None:
    run_transition(step, transition="open", channel=ActionChannel.SYSTEM, actor=actor)
    holders = role_holders(step.role, step.org_unit)
    label = deferred(
        gettext_noop("%(no)s 第 %(k)d 步：%(name)s"),
        no=step.application.number,
        k=step.position,
        name=data_text(step.name),  # seeded from the chain's template: through the catalogue
    )
    deadline_start(
        policy=step.deadline_policy_code or DEFAULT_STEP_POLICY,
        owner=step,
        org_unit=step.org_unit,
        assignee=holders[0] if holders else None,
        label=label,
    )
    notify(
        recipients=holders,
        subject=deferred(gettext_noop("待您签字：%(label)s"), label=label),
        url=step.application.get_absolute_url(),
        category="approval",
        source=step,
        action=True,  # done once the step is signed or cancelled, by whoever
    )


@transaction.atomic
def rma_submit(*, application_id: int, actor, channel: str = ActionChannel.WEB):
    """Submit (or resubmit after a rejection): copy the platform's chain onto the application as
    fresh step rows with fresh timers, and open the first step."""

    def _has_chain(app):
        if not ApprovalChainTemplate.objects.filter(platform=app.platform).exists():
            raise ValidationError(_("该平台尚未配置审批链，请联系管理员"))

    application = run_transition(
        ReturnApplication,
        application_id,
        transition="submit",
        actor=actor,
        channel=channel,
        before=_has_chain,
    )
    template = ApprovalChainTemplate.objects.get(platform=application.platform)
    steps = [
        ApprovalStep(
            application=application,
            round=application.round,
            position=t.position,
            name=t.name,
            role=t.role,
            org_unit=_scope_unit(application, t.holder_scope),
            deadline_policy_code=t.deadline_policy.code if t.deadline_policy_id else "",
        )
        for t in template.steps.select_related("deadline_policy").order_by("position")
    ]
    if not steps:
        raise ValidationError(_("审批链没有步骤，请联系管理员"))
    for position, step in enumerate(steps, start=1):
        step.position = position
    ApprovalStep.objects.bulk_create(steps)
    first = ApprovalStep.objects.get(application=application, round=application.round, position=1)
    _open_step(first, actor=actor)
    return application


def current_step(application: ReturnApplication) -> ApprovalStep | None:
    return application.steps.filter(round=application.round, state=StepState.PENDING).first()


@transaction.atomic
def rma_decide(
    *,
    step_id: int,
    actor,
    approve: bool,
    comment: str = "",
    channel: str = ActionChannel.WEB,
) -> ApprovalStep:
    """Sign one step. The application row is locked first, so concurrent signers queue; the step
    must still be pending (else TransitionNotAllowed → 409) and the actor must hold its role or
    deputise for a holder (else PermissionDenied → 403)."""
    application_id = ApprovalStep.objects.values_list("application_id", flat=True).get(pk=step_id)
    application = ReturnApplication.objects.select_for_update().get(pk=application_id)
    if not approve and not comment.strip():
        raise ValidationError({"comment": _("驳回时请填写原因")})
    step = run_transition(
        ApprovalStep,
        step_id,
        transition="approve" if approve else "reject",
        actor=actor,
        channel=channel,
        comment=comment,
        kwargs={"actor": actor, "comment": comment},
    )
    close_open_deadlines_of(step, actor=actor)
    if approve:
        following = (
            ApprovalStep.objects.filter(
                application=application,
                round=step.round,
                position__gt=step.position,
                state=StepState.WAITING,
            )
            .select_related("application", "org_unit")
            .order_by("position")
            .first()
        )
        if following:
            _open_step(following, actor=actor)
            return step
        application = run_transition(
            ReturnApplication,
            application.pk,
            transition="approve",
            actor=actor,
            channel=channel,
            check_permission=False,
            comment=comment,
        )
        clerks = role_holders(Role.LOGISTICS_CLERK, application.branch)
        notify(
            recipients=clerks,
            subject=deferred(
                gettext_noop("返厂申请已批准：%(no)s，请安排提货"), no=application.number
            ),
            url=application.get_absolute_url(),
            category="approval",
            source=application,
            action=True,  # done once the pickup is booked
        )
        notify(
            recipients=[application.applicant],
            subject=deferred(gettext_noop("返厂申请已批准：%(no)s"), no=application.number),
            url=application.get_absolute_url(),
            category="approval",
            source=application,
        )
        return step
    _cancel_open_steps(application, actor=actor)
    run_transition(
        ReturnApplication,
        application.pk,
        transition="reject",
        actor=actor,
        channel=channel,
        check_permission=False,
        comment=comment,
        kwargs={"reason": comment},
    )
    notify(
        recipients=[application.applicant],
        subject=deferred(gettext_noop("返厂申请被驳回：%(no)s"), no=application.number),
        body=comment,
        url=application.get_absolute_url(),
        category="approval",
        source=application,
        action=True,  # fix and resubmit, or withdraw
    )
    return step


def _cancel_open_steps(application: ReturnApplication, *, actor) -> None:
    for step in application.steps.filter(
        round=application.round, state__in=[StepState.WAITING, StepState.PENDING]
    ):
        run_transition(step, transition="cancel", channel=ActionChannel.SYSTEM, actor=actor)
        for deadline in open_deadlines_of(step):
            deadline_cancel(
                deadline=deadline, reason=deferred(gettext_noop("申请已撤回或驳回")), actor=actor
            )


@transaction.atomic
def rma_withdraw(*, application_id: int, actor, channel: str = ActionChannel.WEB, reason=""):
    application = run_transition(
        ReturnApplication,
        application_id,
        transition="withdraw",
        actor=actor,
        channel=channel,
        comment=reason,
    )
    _cancel_open_steps(application, actor=actor)
    return application


# --- logistics ------------------------------------------------------------------------------
def _refuse_collect(freight_terms: str) -> None:
    if freight_terms == FreightTerms.COLLECT:
        raise ValidationError(
            {"freight_terms": _("运费须由发货方自付，到付一律拒收。请发货方改为运费自付后再发货。")}
        )


@transaction.atomic
def rma_book_pickup(
    *,
    application_id: int,
    actor,
    pickup_date: date,
    driver_name: str,
    driver_phone: str = "",
    vehicle_plate: str = "",
    channel: str = ActionChannel.WEB,
) -> ReturnApplication:
    if not driver_name.strip():
        raise ValidationError({"driver_name": _("请填写司机姓名")})
    application = run_transition(
        ReturnApplication,
        application_id,
        transition="book_pickup",
        actor=actor,
        channel=channel,
        before=lambda app: _refuse_collect(app.freight_terms),
        kwargs={
            "pickup_date": pickup_date,
            "driver_name": driver_name.strip(),
            "driver_phone": driver_phone.strip(),
            "vehicle_plate": vehicle_plate.strip(),
        },
        comment=deferred(
            gettext_noop("提货 %(d)s，司机 %(n)s %(p)s"),
            d=pickup_date,
            n=driver_name,
            p=vehicle_plate,
        ),
    )
    notify(
        recipients=[application.applicant],
        subject=deferred(
            gettext_noop("已安排提货：%(no)s，%(d)s"), no=application.number, d=pickup_date
        ),
        body=deferred(
            gettext_noop("司机 %(n)s %(ph)s，车牌 %(p)s。运费须由发货方自付，不接受到付。"),
            n=driver_name,
            ph=driver_phone,
            p=vehicle_plate,
        ),
        url=application.get_absolute_url(),
        category="logistics",
        source=application,
    )
    return application


@transaction.atomic
def rma_record_pickup(
    *,
    application_id: int,
    actor,
    counted_units: int,
    shipper_count: int,
    note: str = "",
    channel: str = ActionChannel.WEB,
) -> ReturnApplication:
    """At pickup the clerk checks the unit count against the shipper's."""
    if counted_units < 0 or shipper_count < 0:
        raise ValidationError({"counted_units": _("数量不能为负数")})
    application = run_transition(
        ReturnApplication,
        application_id,
        transition="record_pickup",
        actor=actor,
        channel=channel,
        comment=note,
        kwargs={"counted_units": counted_units, "shipper_count": shipper_count},
    )
    expected = application.expected_units
    if counted_units != expected or counted_units != shipper_count:
        Discrepancy.objects.create(
            application=application,
            kind=DiscrepancyKind.COUNT_MISMATCH,
            expected=_("申请 %(e)d 台，发货方 %(s)d 台") % {"e": expected, "s": shipper_count},
            actual=_("清点 %(c)d 台") % {"c": counted_units},
            note=note[:255],
            recorded_by=actor,
        )
        _tell_shipper(application)
    return application


def match_units(
    lines: Iterable[ReturnLine], scanned: Iterable[tuple[str, str]]
) -> tuple[list[tuple[ReturnLine | None, str, str]], list[tuple[str, str, str]]]:
    """Match scanned (model, serial) pairs against the application's lines.

    Returns (received, discrepancies): received is [(line or None, model, serial)], discrepancies
    [(kind, expected, actual)]. A serial that is on the application but under another model is a
    wrong model; an unknown serial where a unit of that model is missing is a wrong serial."""
    by_serial = {ln.serial_number.upper(): ln for ln in lines if ln.serial_number}
    unserialed = Counter()
    unserialed_line = {}
    for ln in lines:
        if not ln.serial_number:
            key = ln.product_model.upper()
            unserialed[key] += ln.quantity
            unserialed_line.setdefault(key, ln)
    received, discrepancies, unknown = [], [], []
    for model, serial in scanned:
        model, serial = model.strip(), serial.strip()
        line = by_serial.pop(serial.upper(), None) if serial else None
        if line is not None:
            if line.product_model.upper() != model.upper():
                discrepancies.append(
                    (
                        DiscrepancyKind.WRONG_MODEL,
                        f"{line.product_model} {line.serial_number}",
                        f"{model} {serial}",
                    )
                )
            received.append((line, model, serial))
        else:
            unknown.append((model, serial))
    for model, serial in unknown:
        key = model.upper()
        if unserialed[key] > 0:
            unserialed[key] -= 1
            received.append((unserialed_line[key], model, serial))
            continue
        same_model = next(
            (s for s, ln in by_serial.items() if ln.product_model.upper() == key), None
        )
        if same_model is not None:
            line = by_serial.pop(same_model)
            discrepancies.append(
                (
                    DiscrepancyKind.WRONG_SERIAL,
                    f"{line.product_model} {line.serial_number}",
                    f"{model} {serial}",
                )
            )
            received.append((line, model, serial))
        else:
            discrepancies.append((DiscrepancyKind.EXTRA_UNIT, "", f"{model} {serial}".strip()))
            received.append((None, model, serial))
    for line in by_serial.values():
        discrepancies.append(
            (DiscrepancyKind.MISSING_UNIT, f"{line.product_model} {line.serial_number}", "")
        )
    for key, count in unserialed.items():
        for _i in range(count):
            discrepancies.append(
                (DiscrepancyKind.MISSING_UNIT, unserialed_line[key].product_model, "")
            )
    return received, discrepancies


@transaction.atomic
def rma_receive(
    *,
    application_id: int,
    actor,
    units: list[tuple[str, str]],
    freight_terms: str = FreightTerms.PREPAID,
    channel: str = ActionChannel.WEB,
    received_at=None,
) -> ReturnApplication:
    """Record the receipt unit by unit (scanned or typed serials). Discrepancies are recorded and
    the shipper is told; cash on delivery is refused. `received_at`: when the goods came in, for
    a receipt entered after the fact (the repair limit counts from it); never in the future."""
    if not units:
        raise ValidationError({"units": _("请至少录入一台收到的机器")})
    if received_at is not None and received_at > timezone.now():
        raise ValidationError({"received_at": _("收货时间不能晚于现在")})

    def _check(app):
        _refuse_collect(freight_terms)

    application = run_transition(
        ReturnApplication,
        application_id,
        transition="receive",
        actor=actor,
        channel=channel,
        before=_check,
        kwargs={"at": received_at},
    )
    received, discrepancies = match_units(list(application.lines.all()), units)
    # A unit on no line of the approved application was never authorised: it is refused and
    # sent back (一律不予受理) with the platform's penalties proposed, gets no repair order, and
    # does not count toward the lot's size (which sets every unit's limit).
    extras = [(model, serial) for line, model, serial in received if line is None]
    received = [r for r in received if r[0] is not None]
    if not received:
        raise ValidationError(
            {"units": _("收到的机器都不在批准的申请上：请按“未经申请返厂”登记拒收")}
        )
    rows = ReceivedUnit.objects.bulk_create(
        [
            ReceivedUnit(
                application=application,
                line=line,
                product_model=model,
                serial_number=serial,
                received_by=actor,
            )
            for line, model, serial in received
        ]
    )
    if extras:
        from .arrivals import arrival_record

        arrival_record(
            actor=actor,
            shipper_unit=application.dealer or application.applicant_unit,
            units=len(extras),
            description=(
                _("随 %(no)s 到货、不在批准申请上的机器：%(units)s")
                % {
                    "no": application.number,
                    "units": "、".join(f"{m} {s}".strip() for m, s in extras),
                }
            )[:1000],
            arrived_at=received_at,
        )
    if discrepancies:
        Discrepancy.objects.bulk_create(
            [
                Discrepancy(
                    application=application,
                    kind=kind,
                    expected=expected,
                    actual=actual,
                    recorded_by=actor,
                )
                for kind, expected, actual in discrepancies
            ]
        )
        ReturnApplication.objects.filter(pk=application.pk).update(has_discrepancies=True)
        application.has_discrepancies = True
        _tell_shipper(application)
    else:
        notify(
            recipients=[application.applicant],
            subject=deferred(
                gettext_noop("返修机已收货：%(no)s，共 %(n)d 台"),
                no=application.number,
                n=len(rows),
            ),
            url=application.get_absolute_url(),
            category="logistics",
            source=application,
        )
    for callback in on_received:
        callback(application, rows, actor)
    return application


def shipper_side(application: ReturnApplication, staff_of: dict | None = None) -> list:
    """Who hears about the shipper's units: the applicant and the dealer's staff. `staff_of`
    ({dealer id: staff}) keeps a loop over many units to one staff query per dealer."""
    recipients = [application.applicant]
    if application.dealer_id:
        staff_of = {} if staff_of is None else staff_of
        if application.dealer_id not in staff_of:
            staff_of[application.dealer_id] = role_holders(Role.DEALER_STAFF, application.dealer)
        recipients += [u for u in staff_of[application.dealer_id] if u not in recipients]
    return recipients


def _tell_shipper(application: ReturnApplication) -> None:
    from django.utils import timezone

    open_items = application.discrepancies.filter(shipper_notified_at__isnull=True)
    lines = [
        deferred(
            gettext_noop("- %(kind)s：%(expected)s → %(actual)s"),
            kind=choice(d, "kind"),
            expected=d.expected or "—",
            actual=d.actual or "—",
        )
        for d in open_items
    ]
    notify(
        recipients=shipper_side(application),
        subject=deferred(gettext_noop("返修机收货差异：%(no)s"), no=application.number),
        body=join(*lines, sep="\n"),
        url=application.get_absolute_url(),
        category="logistics",
        source=application,
        urgent=True,
    )
    open_items.update(shipper_notified_at=timezone.now())


@transaction.atomic
def rma_close(*, application_id: int, actor, channel: str = ActionChannel.WEB, comment=""):
    return run_transition(
        ReturnApplication,
        application_id,
        transition="close",
        actor=actor,
        channel=channel,
        comment=comment,
    )
