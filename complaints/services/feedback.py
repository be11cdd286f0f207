"""Product feedback to the development department (信息反馈, issue 18 item 5; seed 000: 产品市场
信息的收集、整理、反馈、回复、追踪).

- A product-quality complaint judged valid joins the open feedback of its product model (or opens
  one): one open feedback per (model, pattern), a named partial unique constraint.
- A daily job finds repair patterns: at least FeedbackRules.pattern_repairs repair orders of one
  model with the same fault description within pattern_days days; each pattern opens one
  feedback, and a later run updates its count instead of opening another.
- The development department's reply is due within the reply policy's limit (5 working days by
  default, our number: the seeds give none), escalating to the complaint supervisor and then the
  head of customer service; the reply is recorded on the department's behalf (permissions.py),
  then tracked until the complaint team verifies it and closes the feedback."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.db.models.functions import Lower, Trim
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from network.models import OrgUnit
from service_ops.deadlines.services import close_open_deadlines_of, deadline_start
from service_ops.i18n import deferred
from service_ops.plugins import default_policy
from service_ops.transitions.models import ActionChannel
from service_ops.transitions.services import run_transition

from .. import permissions as perms
from ..choices import Category, FeedbackSource, FeedbackState
from ..models import Complaint, FeedbackNote, FeedbackRules, ProductFeedback
from ..plugin import FEEDBACK_KIND, FEEDBACK_REPLY_POLICY

F = FeedbackState
NUMBER_PREFIX = "XF"
QUALITY_KEY = "quality"
MAX_REFS = 50
LABEL = gettext_noop("开发部回复信息反馈 %(number)s")


def _root_unit():
    return OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()


def _start_reply_timer(feedback: ProductFeedback, *, actor=None, at=None):
    return deadline_start(
        policy=default_policy(FEEDBACK_REPLY_POLICY),
        owner=feedback,
        org_unit=feedback.org_unit,
        assignee=None,  # waits for the chain's first role: the complaint supervisor
        started_at=at or timezone.now(),
        actor=actor,
        label=deferred(LABEL, number=feedback.number),
    )


def _open_one(*, product_model: str, pattern_key: str, create) -> tuple[ProductFeedback, bool]:
    """The open feedback of (model, key), locked, or a new one made by `create()`; a concurrent
    creation of the same pattern loses on the unique constraint and takes the winner's row."""
    found = (
        ProductFeedback.objects.open()
        .select_for_update()
        .filter(product_model=product_model, pattern_key=pattern_key)
        .first()
    )
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            return create(), True
    except IntegrityError:
        found = (
            ProductFeedback.objects.open()
            .select_for_update()
            .get(product_model=product_model, pattern_key=pattern_key)
        )
        return found, False


@transaction.atomic
def feedback_from_complaint(*, complaint: Complaint, actor=None) -> ProductFeedback | None:
    """A valid product-quality complaint becomes feedback for development (once per complaint):
    it joins the open quality feedback of its model, or opens one. A complaint without a model
    gets a feedback of its own."""
    if complaint.category != Category.PRODUCT_QUALITY:
        return None
    already = complaint.feedback.first()
    if already is not None:
        return already
    model = complaint.product_model.strip()
    key = QUALITY_KEY if model else f"complaint:{complaint.pk}"
    now = timezone.now()

    def create():
        feedback = ProductFeedback.objects.create(
            number=_number(now),
            product_model=model,
            source=FeedbackSource.COMPLAINT,
            pattern_key=key,
            content=_("产品质量投诉 %(number)s：%(content)s")
            % {"number": complaint.number, "content": complaint.content[:3000]},
            org_unit=_root_unit() or complaint.org_unit,
            created_at=now,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        _start_reply_timer(feedback, actor=actor, at=now)
        return feedback

    feedback, _created = _open_one(product_model=model, pattern_key=key, create=create)
    feedback.complaints.add(complaint)
    return feedback


def _number(at) -> str:
    from service_ops.numbering.services import next_document_number

    return next_document_number(NUMBER_PREFIX, at=at)


def pattern_key(fault: str) -> str:
    return "repair:" + hashlib.sha256(fault.encode()).hexdigest()[:24]


def repair_patterns(*, now=None, rules: FeedbackRules | None = None) -> list[dict]:
    """(model, fault, count, last) of the repair orders of one model with the same fault
    description (trimmed, case folded) within the rule's window, at or above its count."""
    from repairs.models import RepairOrder

    rules = rules or FeedbackRules.current()
    now = now or timezone.now()
    since = now - timedelta(days=rules.pattern_days)
    return list(
        RepairOrder.objects.filter(created_at__gte=since, created_at__lte=now)
        .exclude(fault_description="")
        .annotate(fault=Lower(Trim("fault_description")))
        .values("product_model", "fault")
        .annotate(n=Count("id"), last=Max("created_at"))
        .filter(n__gte=max(rules.pattern_repairs, 2))
        .order_by("product_model", "fault")
    )


def feedback_detect_repair_patterns(*, now=None) -> int:
    """The daily job: each repair pattern opens one feedback; a pattern whose feedback is still
    open has its count and order numbers brought up to date instead. Returns feedback opened."""
    from repairs.models import RepairOrder

    now = now or timezone.now()
    rules = FeedbackRules.current()
    since = now - timedelta(days=rules.pattern_days)
    opened = 0
    for row in repair_patterns(now=now, rules=rules):
        model, fault = row["product_model"], row["fault"]
        refs = list(
            RepairOrder.objects.filter(
                product_model=model, created_at__gte=since, created_at__lte=now
            )
            .annotate(fault=Lower(Trim("fault_description")))
            .filter(fault=fault)
            .order_by("-created_at")
            .values_list("number", flat=True)[:MAX_REFS]
        )
        with transaction.atomic():

            def create(model=model, fault=fault, row=row, refs=refs):
                feedback = ProductFeedback.objects.create(
                    number=_number(now),
                    product_model=model,
                    source=FeedbackSource.REPAIR_PATTERN,
                    pattern_key=pattern_key(fault),
                    fault=fault[:200],
                    repair_count=row["n"],
                    repair_refs=refs,
                    content=_("%(days)d 天内型号 %(model)s 有 %(n)d 张维修单报同一故障：%(fault)s")
                    % {"days": rules.pattern_days, "model": model, "n": row["n"], "fault": fault},
                    org_unit=_root_unit(),
                    created_at=now,
                )
                _start_reply_timer(feedback, at=now)
                return feedback

            feedback, created = _open_one(
                product_model=model, pattern_key=pattern_key(fault), create=create
            )
            if created:
                opened += 1
            elif feedback.repair_count != row["n"] or feedback.repair_refs != refs:
                feedback.repair_count = max(feedback.repair_count, row["n"])
                feedback.repair_refs = refs
                feedback.save(update_fields=["repair_count", "repair_refs"])
    return opened


# --- the reply and its tracking ---------------------------------------------------------------


def feedback_reply(
    *,
    feedback: ProductFeedback | int,
    actor,
    reply: str,
    replied_by_name: str,
    planned_by=None,
    channel: str = ActionChannel.WEB,
) -> ProductFeedback:
    """Record the development department's reply (on its behalf): the reply clock stops."""
    errors = {}
    if not (reply or "").strip():
        errors["reply"] = _("请填写开发部的回复")
    if not (replied_by_name or "").strip():
        errors["replied_by_name"] = _("请填写开发部回复人")
    if planned_by is not None and planned_by < timezone.localdate():
        errors["planned_by"] = _("承诺改进日期不能早于今天")
    if errors:
        raise ValidationError(errors)
    pk = feedback.pk if isinstance(feedback, ProductFeedback) else feedback
    with transaction.atomic():
        feedback = run_transition(
            ProductFeedback,
            pk,
            transition="record_reply",
            actor=actor,
            channel=channel,
            kwargs={
                "actor": actor,
                "reply": reply.strip(),
                "replied_by_name": replied_by_name.strip(),
                "planned_by": planned_by,
            },
            comment=reply.strip()[:500],
        )
        close_open_deadlines_of(feedback, kind=FEEDBACK_KIND, actor=actor)
    return feedback


@transaction.atomic
def feedback_note(*, feedback: ProductFeedback | int, actor, text: str) -> FeedbackNote:
    """A tracking entry. The first one after the reply starts the tracking (answered →
    tracking); later ones are added to the history."""
    if not (text or "").strip():
        raise ValidationError({"text": _("请填写跟踪记录")})
    pk = feedback.pk if isinstance(feedback, ProductFeedback) else feedback
    locked = ProductFeedback.objects.select_for_update().get(pk=pk)
    if not perms.may_track_feedback(actor):
        raise PermissionDenied(_("您没有权限执行此操作"))
    if locked.state == F.ANSWERED:
        run_transition(
            ProductFeedback, pk, transition="start_tracking", actor=actor, comment=text.strip()
        )
    elif locked.state != F.TRACKING:
        raise ValidationError(_("开发部回复后才能登记跟踪记录"))
    return FeedbackNote.objects.create(feedback_id=pk, text=text.strip(), author=actor)


def feedback_ask_again(*, feedback: ProductFeedback | int, actor, reason: str) -> ProductFeedback:
    """The reply does not solve it: back to the development department, with a new reply clock."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写需要开发部重新回复的原因")})
    pk = feedback.pk if isinstance(feedback, ProductFeedback) else feedback
    with transaction.atomic():
        feedback = run_transition(
            ProductFeedback, pk, transition="ask_again", actor=actor, comment=reason.strip()
        )
        FeedbackNote.objects.create(feedback=feedback, text=reason.strip(), author=actor)
        _start_reply_timer(feedback, actor=actor)
    return feedback


def feedback_close(*, feedback: ProductFeedback | int, actor, verification: str) -> ProductFeedback:
    """Verified (验证): the improvement is in place, the feedback is closed."""
    if not (verification or "").strip():
        raise ValidationError({"verification": _("请填写验证结果")})
    pk = feedback.pk if isinstance(feedback, ProductFeedback) else feedback
    return run_transition(
        ProductFeedback,
        pk,
        transition="close",
        actor=actor,
        kwargs={"verification": verification.strip()},
        comment=verification.strip()[:500],
    )
