"""Writes of the network's life (HackSoft style: `<entity>_<action>(*, ...)`).

Every state change goes through service_ops.transitions.run_transition (locked fresh row,
permission, FSM transition, transition log with the reason); the rest of a change happens in the
same transaction and people hear of it by notification (an outbox row, sent on commit).

- applications: submit → start review → approve (the org unit, its profile, areas, prepaid
  account; the documents move to it) | reject;
- qualification documents and the daily watch of their expiry;
- GPS-upgrade qualification, a recorded decision with its evidence;
- a point's standing: suspend, reinstate, terminate (ServicePointProfile.status);
- the quarterly evaluation from the facts the business apps give through the platform hook
  `service_point_facts`, and the network specialist's confirmation of the grade;
- training sessions, their attendees, attendance and scores.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from service_ops import plugins
from service_ops.audit import acting_as
from service_ops.i18n import deferred
from service_ops.notifications.services import notify
from service_ops.numbering.services import next_document_number
from service_ops.transitions.models import ActionChannel
from service_ops.transitions.services import run_transition

from ..choices import OrgKind, PointGrade, PointStatus, Role
from ..models import OrgUnit, PrepaidAccount, ServiceArea, ServicePointProfile, StaffProfile
from ..selectors import role_holders
from . import permissions as perms
from .choices import ApplicationState, Attendance, DocumentKind, EvaluationState, TrainingState
from .models import (
    GpsQualificationDecision,
    GradeChange,
    LifeRules,
    PointApplication,
    PointEvaluation,
    QualificationDocument,
    TrainingAttendee,
    TrainingSession,
)

logger = logging.getLogger(__name__)

FACTS_HOOK = "service_point_facts"
PARENT_KINDS = (OrgKind.BRANCH, OrgKind.FIELD_OFFICE)
MAX_FILE_BYTES = 10 * 1024 * 1024


def _deny(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("您没有权限执行此操作"))


def _text(value) -> str:
    return (value or "").strip()


def _specialists(unit: OrgUnit) -> list:
    return role_holders(Role.NETWORK_SPECIALIST, unit)


def _point_staff(unit: OrgUnit) -> list:
    get_user = get_user_model()
    return list(
        get_user.objects.filter(
            is_active=True,
            role_assignments__role=Role.SERVICE_POINT_STAFF,
            role_assignments__org_unit=unit,
        ).distinct()
    )


def _check_file(value, field: str, errors: dict, *, required: bool) -> None:
    if not value:
        if required:
            errors[field] = _("请上传文件")
        return
    if getattr(value, "size", 0) > MAX_FILE_BYTES:
        errors[field] = _("文件不能超过 10 MB")


# --- applications (申请入网) ---------------------------------------------------------------------


def _parse_list(value) -> list[str]:
    if isinstance(value, str):
        value = value.replace("，", ",").replace("、", ",").split(",")
    return [v.strip() for v in value or [] if v and v.strip()][:30]


def _clean_areas(areas) -> list[list[str]]:
    cleaned = []
    for area in areas or []:
        parts = [(p or "").strip() for p in list(area)[:3]]
        parts += [""] * (3 - len(parts))
        if parts[0] and parts not in cleaned:
            cleaned.append(parts)
    return cleaned


@transaction.atomic
def application_submit(
    *,
    actor,
    name: str,
    parent: OrgUnit,
    contact_name: str,
    phone: str,
    province: str,
    address: str,
    areas,
    city: str = "",
    district: str = "",
    proposed_code: str = "",
    skills=(),
    product_models=(),
    capacity: int = 10,
    technicians: int = 1,
    grade: str = PointGrade.C,
    contract_start: date | None = None,
    contract_end: date | None = None,
    gps_upgrade_requested: bool = False,
    note: str = "",
    channel: str = ActionChannel.WEB,
) -> PointApplication:
    """File a candidate's application (申请入网) under a branch or field office the actor may
    see; the network specialists are asked to review it."""
    _deny(perms.may_apply(actor))
    errors: dict[str, str] = {}
    if parent is None or parent.kind not in PARENT_KINDS:
        errors["parent"] = _("请选择网点所属的分公司或驻外办事处")
    elif not OrgUnit.objects.visible_to(actor).filter(pk=parent.pk).exists():
        errors["parent"] = _("只能在您负责的分公司或办事处下申请")
    for field, value in (
        ("name", name),
        ("contact_name", contact_name),
        ("phone", phone),
        ("province", province),
        ("address", address),
    ):
        if not _text(value):
            errors[field] = _("此项为必填项")
    areas = _clean_areas(areas)
    if not areas:
        errors["areas"] = _("请至少填写一个服务区域（省必填）")
    code = _text(proposed_code).upper()
    if code and OrgUnit.objects.filter(code=code).exists():
        errors["proposed_code"] = _("该编码已被使用")
    if grade not in PointGrade.values:
        errors["grade"] = _("请选择等级")
    if contract_start and contract_end and contract_end <= contract_start:
        errors["contract_end"] = _("合同结束日期须晚于开始日期")
    if not 1 <= int(capacity or 0) <= 500:
        errors["capacity"] = _("同时在办上限须在 1 到 500 之间")
    if errors:
        raise ValidationError(errors)
    application = PointApplication.objects.create(
        number=next_document_number("RW"),
        name=_text(name)[:120],
        parent=parent,
        proposed_code=code[:32],
        contact_name=_text(contact_name)[:60],
        phone=_text(phone)[:40],
        province=_text(province)[:20],
        city=_text(city)[:30],
        district=_text(district)[:30],
        address=_text(address)[:255],
        skills=_parse_list(skills),
        product_models=_parse_list(product_models),
        capacity=int(capacity),
        technicians=max(0, int(technicians or 0)),
        grade=grade,
        contract_start=contract_start,
        contract_end=contract_end,
        areas=areas,
        gps_upgrade_requested=bool(gps_upgrade_requested),
        note=_text(note),
        submitted_by=actor,
    )
    notify(
        recipients=_specialists(parent),
        subject=deferred(
            gettext_noop("入网申请 %(number)s（%(name)s）待审核"),
            number=application.number,
            name=application.name,
        ),
        url=application.get_absolute_url(),
        category="network",
        source=application,
        action=True,
    )
    return application


def application_start_review(
    *, application: PointApplication | int, actor, channel: str = ActionChannel.WEB
) -> PointApplication:
    pk = getattr(application, "pk", application)
    return run_transition(
        PointApplication,
        pk,
        transition="start_review",
        actor=actor,
        channel=channel,
        kwargs={"actor": actor},
    )


def _point_code(application: PointApplication, wanted: str) -> str:
    if wanted:
        if OrgUnit.objects.filter(code=wanted).exists():
            raise ValidationError({"code": _("该编码已被使用")})
        return wanted
    parent = application.parent.code
    parent = parent[2:] if parent[:2] in ("B-", "O-") else parent  # B-GZ → S-GZ-03
    base = f"S-{parent}"[:28]
    n = OrgUnit.objects.filter(parent=application.parent, kind=OrgKind.SERVICE_POINT).count() + 1
    while OrgUnit.objects.filter(code=f"{base}-{n:02d}").exists():
        n += 1
    return f"{base}-{n:02d}"


@transaction.atomic
def application_approve(
    *,
    application: PointApplication | int,
    actor,
    note: str = "",
    code: str = "",
    channel: str = ActionChannel.WEB,
) -> PointApplication:
    """Approve (入网): the service point under the application's branch or office, its profile
    (the grade, contract and skills applied for), its service areas and prepaid account; the
    application's documents move to it; its profile goes onboarding → active, logged."""
    pk = getattr(application, "pk", application)
    locked = PointApplication.objects.select_for_update().get(pk=pk)
    _deny(perms.may_review(actor))
    if locked.state != ApplicationState.UNDER_REVIEW:
        # the transition below raises TransitionNotAllowed (409) with its allowed actions
        return run_transition(
            PointApplication, pk, transition="approve", actor=actor, channel=channel
        )
    wanted = _text(code).upper() or locked.proposed_code
    with acting_as(actor):
        unit = OrgUnit.objects.create(
            code=_point_code(locked, wanted),
            name=locked.name,
            kind=OrgKind.SERVICE_POINT,
            parent=locked.parent,
            contact_name=locked.contact_name,
            phone=locked.phone,
            address=f"{locked.province}{locked.city}{locked.district}{locked.address}"[:255],
        )
    profile = ServicePointProfile.objects.create(
        org_unit=unit,
        grade=locked.grade,
        status=PointStatus.ONBOARDING,
        skills=locked.skills,
        product_models=locked.product_models,
        capacity=locked.capacity,
        contract_start=locked.contract_start,
        contract_end=locked.contract_end,
    )
    ServiceArea.objects.bulk_create(
        [ServiceArea(org_unit=unit, province=p, city=c, district=d) for p, c, d in locked.areas]
    )
    PrepaidAccount.objects.get_or_create(org_unit=unit)
    QualificationDocument.objects.filter(application=locked).update(org_unit=unit)
    approved = run_transition(
        PointApplication,
        pk,
        transition="approve",
        actor=actor,
        channel=channel,
        comment=_text(note),
        kwargs={"actor": actor, "note": _text(note), "org_unit": unit},
    )
    run_transition(
        ServicePointProfile,
        profile.pk,
        transition="activate",
        actor=actor,
        channel=ActionChannel.SYSTEM,
        comment=deferred(gettext_noop("入网申请 %(number)s 审核通过"), number=locked.number),
    )
    notify(
        recipients=[locked.submitted_by] if locked.submitted_by_id else [],
        subject=deferred(
            gettext_noop("入网申请 %(number)s 已通过，网点编码 %(code)s"),
            number=locked.number,
            code=unit.code,
        ),
        url=approved.get_absolute_url(),
        category="network",
    )
    return approved


def application_reject(
    *, application: PointApplication | int, actor, note: str, channel: str = ActionChannel.WEB
) -> PointApplication:
    note = _text(note)
    if not note:
        raise ValidationError({"note": _("请填写不通过的原因")})
    pk = getattr(application, "pk", application)
    rejected = run_transition(
        PointApplication,
        pk,
        transition="reject",
        actor=actor,
        channel=channel,
        comment=note,
        kwargs={"actor": actor, "note": note},
    )
    notify(
        recipients=[rejected.submitted_by] if rejected.submitted_by_id else [],
        subject=deferred(
            gettext_noop("入网申请 %(number)s 未通过：%(note)s"),
            number=rejected.number,
            note=note[:80],
        ),
        url=rejected.get_absolute_url(),
        category="network",
    )
    return rejected


# --- qualification documents (资质文件) ----------------------------------------------------------


def _may_file_document(actor, *, org_unit, application) -> bool:
    if perms.may_manage_points(actor):
        return True
    if application is not None and perms.may_apply(actor):
        return (
            application.state in (ApplicationState.SUBMITTED, ApplicationState.UNDER_REVIEW)
            and PointApplication.objects.visible_to(actor).filter(pk=application.pk).exists()
        )
    return False


@transaction.atomic
def document_add(
    *,
    actor,
    kind: str,
    file,
    org_unit: OrgUnit | None = None,
    application: PointApplication | None = None,
    number: str = "",
    holder_name: str = "",
    issued_on: date | None = None,
    expires_on: date | None = None,
) -> QualificationDocument:
    """File a qualification document for a point, or for an application still under review."""
    if (org_unit is None) == (application is None):
        raise ValidationError(_("资质文件须属于一个网点或一份入网申请"))
    _deny(_may_file_document(actor, org_unit=org_unit, application=application))
    errors: dict[str, str] = {}
    if org_unit is not None and org_unit.kind != OrgKind.SERVICE_POINT:
        errors["org_unit"] = _("只有特约维修网点有资质文件")
    if kind not in DocumentKind.values:
        errors["kind"] = _("请选择资质类型")
    if kind == DocumentKind.TECHNICIAN_CERTIFICATE and not _text(holder_name):
        errors["holder_name"] = _("技术员证书请填写持证人")
    today = timezone.localdate()
    if issued_on and issued_on > today:
        errors["issued_on"] = _("发证日期不能晚于今天")
    if issued_on and expires_on and expires_on <= issued_on:
        errors["expires_on"] = _("有效期须晚于发证日期")
    _check_file(file, "file", errors, required=True)
    if errors:
        raise ValidationError(errors)
    return QualificationDocument.objects.create(
        org_unit=org_unit,
        application=application,
        kind=kind,
        number=_text(number)[:60],
        holder_name=_text(holder_name)[:60],
        issued_on=issued_on,
        expires_on=expires_on,
        file=file,
        uploaded_by=actor,
    )


def documents_expiring(*, on: date, days: int):
    """Documents of points still in the network that expire within `days` of `on` (or have
    expired) and that no newer document of the same kind and holder replaces."""
    newer = QualificationDocument.objects.filter(
        org_unit=OuterRef("org_unit"),
        kind=OuterRef("kind"),
        holder_name=OuterRef("holder_name"),
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gt=OuterRef("expires_on")))
    return (
        QualificationDocument.objects.filter(
            org_unit__isnull=False,
            expires_on__isnull=False,
            expires_on__lte=on + timedelta(days=days),
            org_unit__service_profile__status__in=[PointStatus.ACTIVE, PointStatus.SUSPENDED],
        )
        .exclude(Exists(newer))
        .select_related("org_unit")
    )


@transaction.atomic
def documents_warn_expiring(*, now: datetime | None = None) -> int:
    """The daily watch (periodic job): each document about to expire is told once to the
    network specialists and the point's staff, and once more when it has expired. Returns the
    documents warned of."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    rules = LifeRules.current()
    warned = 0
    rows = documents_expiring(on=today, days=rules.document_warning_days).select_for_update(
        skip_locked=True, of=("self",)
    )
    for doc in rows.order_by("expires_on", "pk")[:500]:
        level = 2 if doc.expires_on < today else 1
        if doc.warned_for == doc.expires_on and doc.warned_level >= level:
            continue
        if level == 2:
            subject = deferred(
                gettext_noop("%(unit)s 的%(kind)s已于 %(date)s 过期，请尽快更新"),
                unit=doc.org_unit.name,
                kind=DocumentKind(doc.kind).label,
                date=doc.expires_on.isoformat(),
            )
        else:
            subject = deferred(
                gettext_noop("%(unit)s 的%(kind)s将于 %(date)s 到期，请提醒网点更新"),
                unit=doc.org_unit.name,
                kind=DocumentKind(doc.kind).label,
                date=doc.expires_on.isoformat(),
            )
        from django.urls import reverse

        notify(
            recipients=[*_specialists(doc.org_unit), *_point_staff(doc.org_unit)],
            subject=subject,
            url=reverse("network:point_detail", args=[doc.org_unit_id]) + "#documents",
            category="network",
        )
        QualificationDocument.objects.filter(pk=doc.pk).update(
            warned_level=level, warned_for=doc.expires_on
        )
        warned += 1
    if warned:
        logger.info("qualification documents: %s expiry warnings", warned)
    return warned


# --- GPS-upgrade qualification -----------------------------------------------------------------


@transaction.atomic
def gps_qualification_decide(
    *, actor, org_unit: OrgUnit | int, granted: bool, reason: str, evidence=None
) -> GpsQualificationDecision:
    """Grant or revoke a point's GPS-upgrade qualification (GPS升级网点): a recorded decision
    with the reason, and the evidence when granted (the certificate, the test report); the
    org unit's flag follows it (and its audit log records the change)."""
    _deny(perms.may_manage_points(actor))
    pk = getattr(org_unit, "pk", org_unit)
    unit = OrgUnit.objects.select_for_update().get(pk=pk)
    errors: dict[str, str] = {}
    if unit.kind != OrgKind.SERVICE_POINT:
        errors["org_unit"] = _("只有特约维修网点可以授予GPS升级资质")
    elif unit.gps_upgrade == bool(granted):
        errors["granted"] = (
            _("该网点已是GPS升级网点") if granted else _("该网点本来就不是GPS升级网点")
        )
    if not _text(reason):
        errors["reason"] = _("请填写理由")
    _check_file(evidence, "evidence", errors, required=bool(granted))
    if errors:
        raise ValidationError(errors)
    unit.gps_upgrade = bool(granted)
    with acting_as(actor):
        unit.save(update_fields=["gps_upgrade"])
    return GpsQualificationDecision.objects.create(
        org_unit=unit,
        granted=bool(granted),
        reason=_text(reason),
        evidence=evidence or "",
        decided_by=actor,
    )


# --- standing: suspend, reinstate, terminate ---------------------------------------------------


def _standing(
    transition: str, subject: str, *, org_unit, actor, reason: str, channel: str
) -> ServicePointProfile:
    reason = _text(reason)
    if not reason:
        raise ValidationError({"reason": _("请填写原因")})
    unit_pk = getattr(org_unit, "pk", org_unit)
    profile = ServicePointProfile.objects.filter(org_unit_id=unit_pk).first()
    if profile is None:
        raise ValidationError(_("该单位没有网点档案"))
    profile = run_transition(
        ServicePointProfile,
        profile.pk,
        transition=transition,
        actor=actor,
        channel=channel,
        comment=reason,
    )
    if transition == "terminate":
        unit = OrgUnit.objects.select_for_update().get(pk=unit_pk)
        unit.is_active = False
        with acting_as(actor):
            unit.save(update_fields=["is_active"])
    from django.urls import reverse

    notify(
        recipients=_point_staff(profile.org_unit),
        subject=deferred(subject, unit=profile.org_unit.name, reason=reason[:80]),
        url=reverse("network:point_detail", args=[unit_pk]),
        category="network",
        urgent=True,
    )
    return profile


@transaction.atomic
def point_suspend(*, org_unit, actor, reason: str, channel: str = ActionChannel.WEB):
    """Suspend a point (暂停): it gets no dispatches (the dispatch rules take status=active)."""
    return _standing(
        "suspend",
        gettext_noop("%(unit)s 已暂停合作，暂停期间不再派单。原因：%(reason)s"),
        org_unit=org_unit,
        actor=actor,
        reason=reason,
        channel=channel,
    )


@transaction.atomic
def point_reinstate(*, org_unit, actor, reason: str, channel: str = ActionChannel.WEB):
    return _standing(
        "reinstate",
        gettext_noop("%(unit)s 已恢复合作。说明：%(reason)s"),
        org_unit=org_unit,
        actor=actor,
        reason=reason,
        channel=channel,
    )


@transaction.atomic
def point_terminate(*, org_unit, actor, reason: str, channel: str = ActionChannel.WEB):
    """End the cooperation (终止): the profile is terminated and the org unit switched off."""
    return _standing(
        "terminate",
        gettext_noop("%(unit)s 已终止合作。原因：%(reason)s"),
        org_unit=org_unit,
        actor=actor,
        reason=reason,
        channel=channel,
    )


# --- evaluation (考核) ---------------------------------------------------------------------------


def quarter_of(day: date) -> tuple[str, date, date]:
    """(label, first day, first day of the next quarter) of the quarter holding `day`."""
    q = (day.month - 1) // 3
    start = date(day.year, q * 3 + 1, 1)
    end = date(day.year + (q == 3), (q * 3 + 3) % 12 + 1, 1)
    return f"{day.year}Q{q + 1}", start, end


def previous_quarter(day: date) -> tuple[str, date, date]:
    _label, start, _end = quarter_of(day)
    return quarter_of(start - timedelta(days=1))


def parse_period(label: str) -> tuple[str, date, date]:
    """'2026Q3' → ('2026Q3', 2026-07-01, 2026-10-01); ValidationError otherwise."""
    text = _text(label).upper()
    try:
        year, q = text.split("Q")
        year, q = int(year), int(q)
        if not (2000 <= year <= 2100 and 1 <= q <= 4):
            raise ValueError
    except ValueError:
        raise ValidationError({"period": _("考核期格式如 2026Q3")}) from None
    return quarter_of(date(year, q * 3 - 2, 1))


def collect_facts(unit_ids: list[int], start: datetime, end: datetime) -> dict[int, dict]:
    """Ask every app that answers the `service_point_facts` hook for its facts of these points
    in [start, end) and add them up: {unit_id: {fact: number}}. Without the business apps
    installed the facts are empty and the evaluation says so."""
    merged: dict[int, dict] = {pk: {} for pk in unit_ids}
    for answer in plugins.call_hook(FACTS_HOOK, unit_ids=list(unit_ids), start=start, end=end):
        for unit_id, facts in (answer or {}).items():
            bucket = merged.setdefault(int(unit_id), {})
            for key, value in facts.items():
                bucket[key] = bucket.get(key, 0) + int(value or 0)
    return merged


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def score_facts(facts: dict, rules: LifeRules) -> dict:
    """The rates and the score of one point's facts. A component without a sample (no
    dispatch, no visit due, no callback reached) leaves the score and the others keep their
    weights in proportion; with no activity at all there is no score (the grade stays)."""
    dispatch = _rate(facts.get("dispatches_accepted_in_time", 0), facts.get("dispatches", 0))
    visit = _rate(facts.get("visits_on_time", 0), facts.get("visits_due", 0))
    satisfaction = _rate(facts.get("callbacks_satisfied", 0), facts.get("callbacks", 0))
    complaints = int(facts.get("complaints_against", 0))
    parts = [
        (rules.weight_dispatch, dispatch),
        (rules.weight_visit, visit),
        (rules.weight_satisfaction, satisfaction),
    ]
    present = [(w, r) for w, r in parts if r is not None]
    score = None
    if present:
        wc = rules.weight_complaints
        complaint_points = Decimal(max(0, wc - rules.points_per_complaint * complaints))
        total = sum(Decimal(w) * r / 100 for w, r in present) + complaint_points
        weights = sum(w for w, _r in present) + wc
        score = (Decimal(100) * total / weights).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return {
        "dispatch_rate": dispatch,
        "visit_rate": visit,
        "satisfaction_rate": satisfaction,
        "complaints": complaints,
        "score": score,
    }


def _moment(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@transaction.atomic
def evaluations_compute(
    *,
    period: str | None = None,
    now: datetime | None = None,
    actor=None,
    unit_ids: list[int] | None = None,
    recompute: bool = False,
) -> int:
    """Evaluate the points in the network (active or suspended) for a quarter (default: the
    last finished one): facts through the hook, rates, score, suggested grade. A point already
    evaluated keeps its row unless `recompute` (and then only while it waits for confirmation).
    The network specialists are told once. Returns the evaluations written."""
    if actor is not None:
        _deny(perms.may_manage_points(actor))
    now = now or timezone.now()
    label, start, end = (
        parse_period(period) if period else previous_quarter(timezone.localdate(now))
    )
    if end > timezone.localdate(now) + timedelta(days=1) and not recompute:
        raise ValidationError({"period": _("考核期尚未结束")})
    profiles = ServicePointProfile.objects.filter(
        status__in=[PointStatus.ACTIVE, PointStatus.SUSPENDED],
        org_unit__kind=OrgKind.SERVICE_POINT,
    ).select_related("org_unit")
    if unit_ids is not None:
        profiles = profiles.filter(org_unit_id__in=unit_ids)
    profiles = list(profiles)
    existing = {
        e.org_unit_id: e
        for e in PointEvaluation.objects.select_for_update().filter(
            period=label, org_unit_id__in=[p.org_unit_id for p in profiles]
        )
    }
    todo = [
        p
        for p in profiles
        if p.org_unit_id not in existing
        or (recompute and existing[p.org_unit_id].state == EvaluationState.PROPOSED)
    ]
    if not todo:
        return 0
    facts = collect_facts([p.org_unit_id for p in todo], _moment(start), _moment(end))
    rules = LifeRules.current()
    written = 0
    for profile in todo:
        unit_facts = facts.get(profile.org_unit_id, {})
        result = score_facts(unit_facts, rules)
        values = {
            **result,
            "facts": unit_facts,
            "period_start": start,
            "period_end": end,
            "grade_before": profile.grade,
            "suggested_grade": rules.grade_for(result["score"]) or profile.grade,
            "computed_at": now,
        }
        row = existing.get(profile.org_unit_id)
        if row is None:
            PointEvaluation.objects.create(org_unit=profile.org_unit, period=label, **values)
        else:
            PointEvaluation.objects.filter(pk=row.pk).update(**values)
        written += 1
    root = OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()
    if root is not None and written:
        from django.urls import reverse

        notify(
            recipients=_specialists(root),
            subject=deferred(
                gettext_noop("%(period)s 网点考核已生成 %(n)s 份，请确认等级"),
                period=label,
                n=written,
            ),
            url=reverse("network:evaluation_list") + f"?period={label}&state=proposed",
            category="network",
        )
    return written


def evaluations_compute_last_quarter(*, now: datetime | None = None) -> int:
    """The periodic job: evaluate the last finished quarter for the points not yet evaluated."""
    return evaluations_compute(now=now)


@transaction.atomic
def evaluation_confirm(
    *,
    evaluation: PointEvaluation | int,
    actor,
    grade: str,
    note: str = "",
    channel: str = ActionChannel.WEB,
) -> PointEvaluation:
    """The network specialist confirms the grade (the suggested one, or another with the
    reason); a changed grade is written to the point's profile with a GradeChange row."""
    note = _text(note)
    pk = getattr(evaluation, "pk", evaluation)

    def check(instance):
        if grade not in PointGrade.values:
            raise ValidationError({"grade": _("请选择等级")})
        if grade != instance.suggested_grade and not note:
            raise ValidationError({"note": _("确认的等级与建议等级不同，请说明理由")})

    confirmed = run_transition(
        PointEvaluation,
        pk,
        transition="confirm",
        actor=actor,
        channel=channel,
        before=check,
        comment=note,
        kwargs={"actor": actor, "grade": grade, "note": note},
    )
    profile = ServicePointProfile.objects.select_for_update().get(org_unit_id=confirmed.org_unit_id)
    if profile.grade != grade:
        GradeChange.objects.create(
            org_unit_id=confirmed.org_unit_id,
            from_grade=profile.grade,
            to_grade=grade,
            evaluation=confirmed,
            reason=note or _("%(period)s 考核") % {"period": confirmed.period},
            changed_by=actor,
        )
        profile.grade = grade
        profile.save(update_fields=["grade", "updated_at"])
        from django.urls import reverse

        notify(
            recipients=_point_staff(confirmed.org_unit),
            subject=deferred(
                gettext_noop("%(period)s 考核：网点等级调整为 %(grade)s"),
                period=confirmed.period,
                grade=grade,
            ),
            url=reverse("network:point_detail", args=[confirmed.org_unit_id]),
            category="network",
        )
    return confirmed


# --- training (驻外技术员培训) -------------------------------------------------------------------


@transaction.atomic
def training_create(
    *,
    actor,
    topic: str,
    starts_at: datetime,
    mode: str,
    place: str,
    org_unit: OrgUnit,
    hours=Decimal("2"),
    trainer=None,
    trainer_name: str = "",
    description: str = "",
    materials=None,
    pass_score: int = 60,
) -> TrainingSession:
    _deny(perms.may_manage_training(actor))
    errors: dict[str, str] = {}
    if not _text(topic):
        errors["topic"] = _("此项为必填项")
    if not _text(place):
        errors["place"] = _("请填写地点或会议链接")
    if trainer is None and not _text(trainer_name):
        errors["trainer"] = _("请选择讲师或填写外部讲师")
    if org_unit is None or not OrgUnit.objects.visible_to(actor).filter(pk=org_unit.pk).exists():
        errors["org_unit"] = _("请选择您负责范围内的组织单位")
    if not 0 <= int(pass_score) <= 100:
        errors["pass_score"] = _("合格分数须在 0 到 100 之间")
    _check_file(materials, "materials", errors, required=False)
    if errors:
        raise ValidationError(errors)
    return TrainingSession.objects.create(
        number=next_document_number("PX"),
        topic=_text(topic)[:120],
        description=_text(description),
        starts_at=starts_at,
        hours=hours,
        trainer=trainer,
        trainer_name=_text(trainer_name)[:60],
        mode=mode,
        place=_text(place)[:200],
        materials=materials or "",
        pass_score=int(pass_score),
        org_unit=org_unit,
        created_by=actor,
    )


@transaction.atomic
def training_add_attendees(*, actor, session: TrainingSession | int, users) -> int:
    """Enrol people (field engineers, point staff) the actor may see; returns those added."""
    _deny(perms.may_manage_training(actor))
    pk = getattr(session, "pk", session)
    session = TrainingSession.objects.select_for_update().get(pk=pk)
    if session.state != TrainingState.PLANNED:
        raise ValidationError(_("只有尚未举行的培训可以报名"))
    visible = set(OrgUnit.objects.visible_to(actor).values_list("pk", flat=True))
    profiles = {
        p.user_id: p.org_unit_id
        for p in StaffProfile.objects.filter(user__in=[u.pk for u in users], user__is_active=True)
    }
    outside = [u for u in users if profiles.get(u.pk) not in visible]
    if outside:
        raise ValidationError({"users": _("不能为您负责范围以外的人员报名")})
    have = set(session.attendees.values_list("user_id", flat=True))
    new = [
        TrainingAttendee(session=session, user=u, org_unit_id=profiles[u.pk])
        for u in users
        if u.pk not in have
    ]
    TrainingAttendee.objects.bulk_create(new)
    return len(new)


@transaction.atomic
def training_record(
    *,
    actor,
    session: TrainingSession | int,
    results: dict[int, dict],
    channel: str = ActionChannel.WEB,
) -> TrainingSession:
    """Record attendance and scores ({attendee id: {attendance, score, note}}): present people
    with a score pass at the session's pass mark. The first record marks the session held
    (logged); later ones correct it."""
    pk = getattr(session, "pk", session)
    locked = TrainingSession.objects.select_for_update().get(pk=pk)
    _deny(perms.may_manage_training(actor))
    if locked.state == TrainingState.CANCELLED:
        raise ValidationError(_("培训已取消"))
    if locked.starts_at > timezone.now():
        raise ValidationError(_("培训尚未开始，不能登记出勤"))
    rows = {a.pk: a for a in locked.attendees.select_for_update()}
    errors: dict[str, str] = {}
    for attendee_id, result in results.items():
        row = rows.get(int(attendee_id))
        if row is None:
            continue
        attendance = result.get("attendance") or Attendance.INVITED
        score = result.get("score")
        if attendance not in (Attendance.PRESENT, Attendance.ABSENT):
            errors[f"attendance_{row.pk}"] = _("请选择出席或缺席")
            continue
        if score is not None and not Decimal(0) <= Decimal(score) <= Decimal(100):
            errors[f"score_{row.pk}"] = _("成绩须在 0 到 100 之间")
            continue
        if attendance == Attendance.ABSENT and score is not None:
            errors[f"score_{row.pk}"] = _("缺席的学员不填写成绩")
            continue
        row.attendance = attendance
        row.score = score
        row.passed = (
            None
            if attendance != Attendance.PRESENT or score is None
            else score >= locked.pass_score
        )
        if attendance == Attendance.ABSENT:
            row.passed = False
        row.note = _text(result.get("note"))[:200]
    if errors:
        raise ValidationError(errors)
    TrainingAttendee.objects.bulk_update(
        list(rows.values()), ["attendance", "score", "passed", "note"]
    )
    if locked.state == TrainingState.PLANNED:
        return run_transition(TrainingSession, pk, transition="hold", actor=actor, channel=channel)
    return locked


def training_cancel(
    *, actor, session: TrainingSession | int, reason: str, channel: str = ActionChannel.WEB
) -> TrainingSession:
    reason = _text(reason)
    if not reason:
        raise ValidationError({"reason": _("请填写取消原因")})
    return run_transition(
        TrainingSession,
        getattr(session, "pk", session),
        transition="cancel",
        actor=actor,
        channel=channel,
        comment=reason,
    )
