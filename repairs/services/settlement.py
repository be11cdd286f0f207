"""Settlement with service points (网点结算, issue 20 item 7): fee rules, the monthly batch that
builds one statement per point and month, rewards and penalties, issuing, the point's answer
line by line, the resolution of disputed lines, approval and the export for payment.

Every state change goes through run_transition (row lock, permission, transition log). The
statement row is locked first whenever a line changes, so two answers to the last two lines
cannot both miss completing the statement.

Idempotent batch: a statement per (point, month) under a unique constraint, a visit on one line
ever (unique constraint). Re-running a month refreshes a draft (visits that passed their gates
since are added, one that no longer passes is taken off, prices re-read); an issued statement
is never touched: a visit that becomes payable after its month's statement was issued goes on
the point's next statement, at the price of its own date. None is paid twice, none is left out."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_fsm import TransitionNotAllowed

from network.choices import Role
from network.models import OrgUnit
from network.selectors import role_holders
from service_ops.i18n import deferred
from service_ops.notifications.services import notify
from service_ops.numbering.services import next_document_number
from service_ops.transitions.models import ActionChannel
from service_ops.transitions.services import run_transition
from service_ops.workcalendar import clock

from ..choices import SettlementLineKind, SettlementLineState, SettlementState
from ..models import Visit
from ..models.orders import month_bounds
from ..models.settlement import FeeRule, SettlementLine, SettlementStatement
from ..permissions import may_manage_settlement
from ..selectors import settlement as sel

NUMBER_PREFIX = "JS"
K = SettlementLineKind
L = SettlementLineState
S = SettlementState


def _require_specialist(actor) -> None:
    if not may_manage_settlement(actor):
        raise PermissionDenied(_("只有网点专员可以执行此操作"))


# --- fee rules ---


def _overlapping(rule: FeeRule, *, exclude_pk=None):
    far = date(9999, 12, 31)
    found = []
    for other in FeeRule.objects.in_force_between(rule.effective_from, rule.effective_to or far):
        if other.pk != exclude_pk and other.same_dimensions(rule):
            found.append(other)
    return found


@transaction.atomic
def fee_rule_add(*, actor, rule: FeeRule, replaces: FeeRule | None = None) -> FeeRule:
    """Add a fee rule (an unsaved FeeRule with its fields set). `replaces`: a rule with the same
    conditions, ended the day before the new one starts. A rule with the same conditions in
    force on any of the same days is refused: end that one first."""
    _require_specialist(actor)
    rule.product_model = (rule.product_model or "").strip().upper()
    rule.created_by = actor
    rule.full_clean()
    if replaces is not None:
        fee_rule_end(
            rule_id=replaces.pk, actor=actor, last_day=rule.effective_from - timedelta(days=1)
        )
    clash = _overlapping(rule)
    if clash:
        raise ValidationError(
            _("已有相同条件的规则 #%(no)s 在这段时间有效：请先结束它，或选择“替换该规则”。")
            % {"no": clash[0].pk}
        )
    rule.save()
    return rule


@transaction.atomic
def fee_rule_end(*, rule_id: int, actor, last_day: date) -> FeeRule:
    """End a rule on `last_day` (inclusive). Never before a day a line was priced with it: what
    was paid stays explained by the rule as it is."""
    _require_specialist(actor)
    rule = FeeRule.objects.select_for_update().get(pk=rule_id)
    if last_day < rule.effective_from:
        raise ValidationError(
            {"last_day": _("失效日期不能早于生效日期 %(d)s") % {"d": rule.effective_from}}
        )
    used = rule.lines.aggregate(last=Max("fee_date"))["last"]
    if used and last_day < used:
        raise ValidationError(
            {
                "last_day": _("该规则已用于 %(d)s 的上门服务结算，失效日期不能早于这一天")
                % {"d": used}
            }
        )
    rule.effective_to = last_day
    rule.save(update_fields=["effective_to"])
    return rule


# --- building a month ---


def month_has_ended(month: date, *, now: datetime | None = None) -> bool:
    return (now or timezone.now()) >= month_bounds(month)[1]


def _ensure_ended(month: date, now: datetime | None) -> None:
    if not month_has_ended(month, now=now):
        raise ValidationError(
            {"month": _("%(m)s 尚未结束，月末之后才能生成结算单") % {"m": f"{month:%Y-%m}"}}
        )


def _visit_line(statement: SettlementStatement, a: sel.Assessment, grade: str) -> SettlementLine:
    visit, request = a.visit, a.visit.request
    return SettlementLine(
        statement=statement,
        kind=K.VISIT,
        visit=visit,
        rule=a.rule,
        fee_date=a.day,
        description=request.number,  # the visit's words are the reader's: see the template
        category=request.category,
        grade=grade,
        distance_km=visit.distance_km,
        product_model=request.product_model,
        in_warranty=request.in_warranty,
        amount=a.rule.amount,
    )


def _recount(statement: SettlementStatement) -> None:
    sums = {
        kind: total or Decimal("0")
        for kind, total in statement.lines.order_by()
        .values("kind")
        .annotate(total=Sum("amount"))
        .values_list("kind", "total")
    }
    statement.visits_total = sums.get(K.VISIT, Decimal("0"))
    statement.rewards_total = sums.get(K.REWARD, Decimal("0"))
    statement.penalties_total = sums.get(K.PENALTY, Decimal("0"))
    statement.total = statement.visits_total + statement.rewards_total + statement.penalties_total


def _lock_or_create(point: OrgUnit, month: date) -> tuple[SettlementStatement, bool]:
    statement = SettlementStatement.objects.select_for_update().filter(point=point, month=month)
    found = statement.first()
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            return (
                SettlementStatement.objects.create(
                    point=point, month=month, number=next_document_number(NUMBER_PREFIX)
                ),
                True,
            )
    except IntegrityError:  # built concurrently: lock the winner's row
        return statement.get(), False


@transaction.atomic
def settlement_build(
    *, point: OrgUnit, month: date, actor=None, now: datetime | None = None
) -> SettlementStatement | None:
    """Build or refresh the point's statement of `month` (an ended month). None when the point
    has nothing payable and no statement yet. An issued statement is returned untouched."""
    if actor is not None:
        _require_specialist(actor)
    now = now or timezone.now()
    month = month.replace(day=1)
    _ensure_ended(month, now)
    _start, end = month_bounds(month)
    grade = sel.point_grades([point.pk]).get(point.pk, "")
    candidates = sel.assess(
        sel.unpaid_visits(point.pk, before=end), now=now, grades={point.pk: grade}
    )
    payable = [a for a in candidates if a.payable]
    exists = SettlementStatement.objects.filter(point=point, month=month).exists()
    if not payable and not exists:
        return None
    statement, _created = _lock_or_create(point, month)
    if statement.state != S.DRAFT:
        return statement
    # a draft is re-read: its visit lines that no longer pass go, the others are re-priced
    drafted = list(statement.lines.filter(kind=K.VISIT).select_related("visit"))
    if drafted:
        visits = sel.with_gate_facts(Visit.objects.filter(pk__in=[ln.visit_id for ln in drafted]))
        again = {a.visit.pk: a for a in sel.assess(visits, now=now, grades={point.pk: grade})}
        for line in drafted:
            a = again[line.visit_id]
            if not a.payable:
                line.delete()
            elif a.rule.pk != line.rule_id or a.rule.amount != line.amount:
                line.rule, line.amount, line.grade = a.rule, a.rule.amount, grade
                line.save(update_fields=["rule", "amount", "grade"])
    SettlementLine.objects.bulk_create([_visit_line(statement, a, grade) for a in payable])
    _recount(statement)
    statement.generated_at = now
    statement.save()
    return statement


def settlement_batch(
    *, month: date, actor=None, now: datetime | None = None
) -> list[SettlementStatement]:
    """The month's statements of every service point with something to pay (or a draft)."""
    if actor is not None:
        _require_specialist(actor)
    month = month.replace(day=1)
    _ensure_ended(month, now)
    _start, end = month_bounds(month)
    ids = set(sel.points_with_unpaid_visits(before=end))
    ids |= set(
        SettlementStatement.objects.filter(month=month, state=S.DRAFT).values_list(
            "point_id", flat=True
        )
    )
    built = []
    for point in OrgUnit.objects.filter(pk__in=ids).order_by("pk"):
        statement = settlement_build(point=point, month=month, actor=actor, now=now)
        if statement is not None:
            built.append(statement)
    return built


def settlement_monthly_run(now: datetime | None = None) -> int:
    """The periodic job (plugin.py): every morning, build or refresh last month's statements.
    Drafts are refreshed until the network specialist issues them; nothing is ever duplicated."""
    now = now or timezone.now()
    last_month = (clock.local_date(now).replace(day=1) - timedelta(days=1)).replace(day=1)
    return len(settlement_batch(month=last_month, now=now))


# --- the draft: rewards and penalties ---


def _locked_draft(statement_id: int) -> SettlementStatement:
    statement = SettlementStatement.objects.select_for_update().get(pk=statement_id)
    if statement.state != S.DRAFT:
        raise TransitionNotAllowed(
            "the statement is no longer a draft", object=statement, method=statement.issue
        )
    return statement


@transaction.atomic
def settlement_add_line(
    *, statement_id: int, actor, kind: str, amount: Decimal, reason: str
) -> SettlementLine:
    """A reward or a penalty (amount > 0; a penalty is booked negative), with its reason, on a
    draft statement."""
    _require_specialist(actor)
    errors = {}
    if kind not in (K.REWARD, K.PENALTY):
        errors["kind"] = _("请选择奖励或扣罚")
    if amount is None or amount <= 0:
        errors["amount"] = _("金额必须大于 0")
    elif amount != amount.quantize(Decimal("0.01")):
        errors["amount"] = _("金额最多两位小数")
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("请填写原因")
    if errors:
        raise ValidationError(errors)
    statement = _locked_draft(statement_id)
    line = SettlementLine.objects.create(
        statement=statement,
        kind=kind,
        description=reason[:200],
        reason=reason[:200],
        amount=amount if kind == K.REWARD else -amount,
        created_by=actor,
    )
    _recount(statement)
    statement.save()
    return line


@transaction.atomic
def settlement_remove_line(*, line_id: int, actor) -> None:
    """Take a reward or penalty off a draft (a visit line goes only by failing its gates)."""
    _require_specialist(actor)
    line = SettlementLine.objects.get(pk=line_id)
    statement = _locked_draft(line.statement_id)
    if line.kind == K.VISIT:
        raise ValidationError(_("上门服务费明细不能手工删除"))
    line.delete()
    _recount(statement)
    statement.save()


# --- issue, answer, resolve, approve, export ---


def _label(statement: SettlementStatement) -> str:
    return f"{statement.month:%Y-%m}"


@transaction.atomic
def settlement_issue(*, statement_id: int, actor, channel=ActionChannel.WEB) -> SettlementStatement:
    """下发: the point's staff are asked to confirm or dispute each line."""

    def recheck(locked: SettlementStatement) -> None:
        if locked.state != S.DRAFT:
            return  # the transition refuses it (409)
        if not month_has_ended(locked.month):
            raise ValidationError(_("月末之后才能下发结算单"))
        if not locked.lines.exists():
            raise ValidationError(_("结算单没有明细，不能下发"))

    statement = run_transition(
        SettlementStatement,
        statement_id,
        transition="issue",
        actor=actor,
        channel=channel,
        before=recheck,
        kwargs={"actor": actor},
    )
    notify(
        recipients=role_holders(Role.SERVICE_POINT_STAFF, statement.point),
        subject=deferred(
            gettext_noop("%(m)s 网点结算单 %(no)s 待您确认：¥%(t)s"),
            m=_label(statement),
            no=statement.number,
            t=statement.total,
        ),
        body=deferred(gettext_noop("请逐条确认明细；有异议的明细请写明原因。")),
        url=statement.get_absolute_url(),
        category="settlement",
        source=statement,
        action=True,
    )
    return statement


def _roll_up(statement: SettlementStatement, actor, channel) -> SettlementStatement:
    """After a line changed (statement locked): complete the statement when nothing waits."""
    states = set(statement.lines.values_list("state", flat=True))
    if L.PENDING in states:
        return statement
    transition = None
    if statement.state == S.ISSUED:
        transition = "disputes_raised" if L.DISPUTED in states else "all_confirmed"
    elif statement.state == S.DISPUTED and L.DISPUTED not in states:
        transition = "disputes_resolved"
    if transition is None:
        return statement
    statement = run_transition(
        SettlementStatement,
        statement.pk,
        transition=transition,
        actor=actor,
        channel=ActionChannel.SYSTEM,
    )
    _tell_after_roll_up(statement)
    return statement


def _tell_after_roll_up(statement: SettlementStatement) -> None:
    hq = OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()
    if hq is None:
        return
    if statement.state == S.DISPUTED:
        recipients = role_holders(Role.NETWORK_SPECIALIST, statement.point)
        text = gettext_noop("%(m)s 网点结算单 %(no)s 有异议明细，请处理")
    else:
        recipients = role_holders(Role.HEAD_OF_CS, hq)
        text = gettext_noop("%(m)s 网点结算单 %(no)s 网点已确认，待审批：¥%(t)s")
    notify(
        recipients=recipients,
        subject=deferred(text, m=_label(statement), no=statement.number, t=statement.total),
        url=statement.get_absolute_url(),
        category="settlement",
        source=statement,
        action=True,
    )


def _answer(line_id: int, actor, channel, transition: str, kwargs: dict) -> SettlementLine:
    line = SettlementLine.objects.get(pk=line_id)
    statement = SettlementStatement.objects.select_for_update().get(pk=line.statement_id)
    if statement.state != S.ISSUED:
        method = getattr(line, transition)
        raise TransitionNotAllowed(
            "the statement is not waiting for the point's answer", object=statement, method=method
        )
    line = run_transition(
        SettlementLine,
        line_id,
        transition=transition,
        actor=actor,
        channel=channel,
        comment=kwargs.get("reason", ""),
        kwargs={"actor": actor, **kwargs},
    )
    _roll_up(statement, actor, channel)
    return line


@transaction.atomic
def line_confirm(*, line_id: int, actor, channel=ActionChannel.WEB) -> SettlementLine:
    return _answer(line_id, actor, channel, "confirm", {})


@transaction.atomic
def line_dispute(*, line_id: int, actor, reason: str, channel=ActionChannel.WEB) -> SettlementLine:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写异议原因")})
    return _answer(line_id, actor, channel, "dispute", {"reason": reason})


@transaction.atomic
def statement_confirm_rest(*, statement_id: int, actor, channel=ActionChannel.WEB) -> int:
    """The point confirms every line it has not answered yet (one click for a clean statement)."""
    ids = list(
        SettlementLine.objects.filter(statement_id=statement_id, state=L.PENDING)
        .order_by("id")
        .values_list("id", flat=True)
    )
    if not ids:
        statement = SettlementStatement.objects.get(pk=statement_id)
        raise TransitionNotAllowed("nothing to confirm", object=statement, method=None)
    for pk in ids:
        _answer(pk, actor, channel, "confirm", {})
    return len(ids)


@transaction.atomic
def line_resolve(
    *,
    line_id: int,
    actor,
    adjust: bool,
    note: str,
    amount: Decimal | None = None,
    channel=ActionChannel.WEB,
) -> SettlementLine:
    """The network specialist resolves a disputed line: adjust it to `amount` or uphold it,
    with the reason the point reads."""
    _require_specialist(actor)
    note = (note or "").strip()
    errors = {}
    if not note:
        errors["note"] = _("请填写处理意见")
    line = SettlementLine.objects.get(pk=line_id)
    if adjust:
        if amount is None:
            errors["amount"] = _("请填写调整后的金额")
        elif line.kind == K.PENALTY and amount > 0:
            errors["amount"] = _("扣罚金额不能为正数")
        elif line.kind != K.PENALTY and amount < 0:
            errors["amount"] = _("金额不能为负数")
        elif amount == line.amount:
            errors["amount"] = _("调整后的金额与原金额相同：请选择维持原额")
    if errors:
        raise ValidationError(errors)
    statement = SettlementStatement.objects.select_for_update().get(pk=line.statement_id)
    if statement.state not in (S.ISSUED, S.DISPUTED):
        raise TransitionNotAllowed(
            "the statement has no disputes to resolve", object=statement, method=None
        )
    kwargs = {"actor": actor, "note": note}
    if adjust:
        kwargs["amount"] = amount
    line = run_transition(
        SettlementLine,
        line_id,
        transition="adjust" if adjust else "uphold",
        actor=actor,
        channel=channel,
        comment=note,
        kwargs=kwargs,
    )
    if adjust:
        _recount(statement)
        statement.save(update_fields=["visits_total", "rewards_total", "penalties_total", "total"])
    _roll_up(statement, actor, channel)
    return line


@transaction.atomic
def settlement_approve(
    *, statement_id: int, actor, channel=ActionChannel.WEB
) -> SettlementStatement:
    statement = run_transition(
        SettlementStatement,
        statement_id,
        transition="approve",
        actor=actor,
        channel=channel,
        kwargs={"actor": actor},
    )
    hq = OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()
    if hq is not None:
        notify(
            recipients=role_holders(Role.FINANCE, hq),
            subject=deferred(
                gettext_noop("%(m)s 网点结算单 %(no)s 已审批，待导出付款：¥%(t)s"),
                m=_label(statement),
                no=statement.number,
                t=statement.total,
            ),
            url=statement.get_absolute_url(),
            category="settlement",
            source=statement,
            action=True,
        )
    return statement


@transaction.atomic
def settlement_export(
    *, statement_id: int, actor, channel=ActionChannel.WEB
) -> SettlementStatement:
    """Finance takes the approved statement for payment (the Excel and PDF are its papers)."""
    return run_transition(
        SettlementStatement,
        statement_id,
        transition="export",
        actor=actor,
        channel=channel,
        kwargs={"actor": actor},
    )
