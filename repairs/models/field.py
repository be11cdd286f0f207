"""Field service (驻外工程师服务流程, seed 001; DESIGN §2.6): the installed base, service requests
(报修), their dispatch (派单) to a field engineer or a service point, and the visits on site.

报修 → 派单 → the engineer analyses the fault and carries out the plan → the customer signs the
service sheet → solved? If not, the service event is escalated, the fault confirmed and an
engineer sent again. Solved: a callback within 3 working days through the call centre.

State changes only through repairs.services.field (dispatch, visits)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from network.visibility import org_scope_q, user_org_unit
from service_ops.i18n import choice_label
from service_ops.reversing import reverse_id

from ..choices import (
    CallbackVerdict,
    DispatchState,
    PhotoKind,
    RequestChannel,
    ServiceCategory,
    ServiceRequestState,
    VisitState,
)

R = ServiceRequestState
D = DispatchState
V = VisitState


def _default_required_photos() -> dict:
    return {
        ServiceCategory.INSTALL: [PhotoKind.BEFORE, PhotoKind.AFTER],
        ServiceCategory.REPAIR: [PhotoKind.BEFORE, PhotoKind.AFTER],
        ServiceCategory.MAINTENANCE: [PhotoKind.AFTER],
        ServiceCategory.INSPECTION: [PhotoKind.AFTER],
    }


class FieldServicePolicy(models.Model):
    """The numbers of field service, editable in the admin. One row. The seed gives the
    callback's 3 working days; the others are the department's choices (DESIGN §2.6)."""

    accept_minutes = models.PositiveIntegerField(
        _("接单时限（工作分钟）"),
        default=120,
        help_text=_("派单后工程师或网点须在此时限内接单或拒单，否则改派"),
    )
    reminder_hour = models.PositiveSmallIntegerField(
        _("预约提醒时刻"), default=16, help_text=_("上门前一天的几点提醒客户和工程师")
    )
    callback_working_days = models.PositiveSmallIntegerField(_("回访期限（工作日）"), default=3)
    required_photos = models.JSONField(
        _("各类别必传照片"),
        default=_default_required_photos,
        help_text=_("服务类别 → 必须上传的照片类型（before/after）"),
    )

    class Meta:
        verbose_name = _("上门服务规则参数")
        verbose_name_plural = _("上门服务规则参数")

    def __str__(self):
        return str(_("上门服务规则参数"))

    @classmethod
    def current(cls) -> FieldServicePolicy:
        return cls.objects.order_by("pk").first() or cls.objects.create()

    def photo_kinds_required(self, category: str) -> list[str]:
        return list(self.required_photos.get(category, []))


def _qr_token() -> str:
    # Not the serial: a printed code must not let anyone walk the serial numbers.
    return secrets.token_urlsafe(12)


def _partner_or_org_q(user, *, org_field: str, partner_fields: tuple[str, ...]):
    """Staff see rows of their subtree by `org_field`; a dealer or a service point the rows one
    of `partner_fields` names as theirs. None means every row."""
    q = org_scope_q(user, org_field)
    if q is None:
        return None
    for field in partner_fields:
        partner_q = org_scope_q(user, field)
        if partner_q is not None:
            q |= partner_q
    return q


class InstalledUnitQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user or not user.is_authenticated:
            return self.none()
        q = _partner_or_org_q(user, org_field="org_unit", partner_fields=("dealer",))
        return self if q is None else self.filter(q)


class InstalledUnit(models.Model):
    """A unit in the field (装机档案), by its serial: what it is, whose it is, who sold it and
    until when its warranty runs. One QR code per unit (一物一码) opens its public page by
    `qr_token`, never by the serial."""

    serial_number = models.CharField(_("出厂编号"), max_length=60, unique=True)
    product_model = models.CharField(_("产品型号"), max_length=60)
    owner_name = models.CharField(_("用户名称"), max_length=80, blank=True)
    owner_phone = models.CharField(_("用户电话"), max_length=40, blank=True)
    province = models.CharField(_("省"), max_length=20, blank=True)
    city = models.CharField(_("市"), max_length=30, blank=True)
    district = models.CharField(_("区县"), max_length=30, blank=True)
    address = models.CharField(_("详细地址"), max_length=200, blank=True)
    purchase_date = models.DateField(_("购买日期"), null=True, blank=True)
    dealer = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("销售代理商"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units_sold",
    )
    seller_name = models.CharField(_("销售店"), max_length=80, blank=True)
    warranty_card_number = models.CharField(_("保修卡号"), max_length=40, blank=True)
    warranty_months = models.PositiveSmallIntegerField(_("保修月数"), default=12)
    org_unit = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("所属单位"),
        on_delete=models.PROTECT,
        related_name="installed_units",
        help_text=_("负责这台设备的分公司或办事处"),
    )
    qr_token = models.CharField(max_length=32, unique=True, default=_qr_token, editable=False)
    created_at = models.DateTimeField(_("建档时间"), default=timezone.now)

    objects = InstalledUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("装机档案")
        verbose_name_plural = _("装机档案")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["org_unit", "-id"], name="installedunit_org_unit"),
            models.Index(fields=["dealer", "-id"], name="installedunit_dealer"),
        ]

    def __str__(self):
        return f"{self.product_model} {self.serial_number}"

    def save(self, *args, **kwargs):
        self.serial_number = (self.serial_number or "").strip().upper()
        super().save(*args, **kwargs)

    @property
    def warranty_until(self):
        if not self.purchase_date:
            return None
        months = self.purchase_date.month - 1 + self.warranty_months
        year = self.purchase_date.year + months // 12
        month = months % 12 + 1
        day = min(self.purchase_date.day, 28)
        return self.purchase_date.replace(year=year, month=month, day=day) - timedelta(days=1)

    def in_warranty(self, on=None) -> bool | None:
        until = self.warranty_until
        if until is None:
            return None
        return (on or timezone.localdate()) <= until


class ServiceRequestQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see the requests of their subtree (the owning office or branch); a service
        point the requests it was dispatched; a dealer the requests it filed."""
        if not user or not user.is_authenticated:
            return self.none()
        q = _partner_or_org_q(
            user, org_field="org_unit", partner_fields=("assigned_unit", "dealer")
        )
        return self if q is None else self.filter(q)

    def open(self):
        return self.exclude(state__in=[R.SOLVED, R.CLOSED, R.CANCELLED])


class ServiceRequest(FSMModelMixin, models.Model):
    """A service event (报修/服务事件): what is wrong, where, who to call; then who takes it."""

    number = models.CharField(_("报修单号"), max_length=24, unique=True)
    state = FSMField(
        _("状态"), max_length=12, choices=ServiceRequestState.choices, default=R.NEW, protected=True
    )
    category = models.CharField(_("服务类别"), max_length=12, choices=ServiceCategory.choices)
    channel = models.CharField(_("报修渠道"), max_length=8, choices=RequestChannel.choices)
    unit = models.ForeignKey(
        InstalledUnit,
        verbose_name=_("设备"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_requests",
    )
    serial_number = models.CharField(_("出厂编号"), max_length=60, blank=True)
    product_model = models.CharField(_("产品型号"), max_length=60, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=60)
    contact_phone = models.CharField(_("联系电话"), max_length=40)
    province = models.CharField(_("省"), max_length=20, blank=True)
    city = models.CharField(_("市"), max_length=30, blank=True)
    district = models.CharField(_("区县"), max_length=30, blank=True)
    address = models.CharField(_("详细地址"), max_length=200)
    preferred_time = models.CharField(_("期望上门时间"), max_length=60, blank=True)
    description = models.TextField(_("故障描述"), blank=True)
    in_warranty = models.BooleanField(_("保修期内"), null=True, blank=True)
    # who owns it, who filed it, who has it now
    org_unit = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("受理单位"),
        on_delete=models.PROTECT,
        related_name="service_requests",
        help_text=_("地址所在区域的驻外办事处或分公司"),
    )
    dealer = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("报修代理商"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_requests_filed",
    )
    assigned_unit = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("服务网点"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_requests_assigned",
        editable=False,
    )
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("服务工程师"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_requests",
        editable=False,
    )
    # not solved: escalated, the fault confirmed, sent again
    escalation_reason = models.TextField(_("升级原因"), blank=True)
    escalation_count = models.PositiveSmallIntegerField(_("升级次数"), default=0, editable=False)
    fault_confirmed = models.TextField(_("故障确认"), blank=True)
    callback_verdict = models.CharField(
        _("回访结果"),
        max_length=12,
        choices=CallbackVerdict.choices,
        default=CallbackVerdict.PENDING,
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("报修时间"), default=timezone.now)
    solved_at = models.DateTimeField(_("解决时间"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True, editable=False)

    objects = ServiceRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("报修单")
        verbose_name_plural = _("报修单")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["org_unit", "-id"], name="servicerequest_org_unit"),
            models.Index(fields=["assigned_unit", "-id"], name="servicerequest_assigned"),
            models.Index(fields=["dealer", "-id"], name="servicerequest_dealer"),
            models.Index(fields=["engineer", "-id"], name="servicerequest_engineer"),
            models.Index(fields=["state", "-id"], name="servicerequest_state"),
            models.Index(Upper("serial_number"), name="servicerequest_serial_upper"),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse_id("repairs:service_request_detail", self.pk)

    @property
    def state_colour(self) -> str:
        return ServiceRequestState.colour_of(self.state)

    @property
    def state_label(self) -> str:
        return choice_label(self, "state")

    # -- transitions (conditions and permissions are checked by the services) --
    @transition(
        field=state, source=[R.NEW, R.ESCALATED, R.DISPATCHED, R.ACCEPTED], target=R.DISPATCHED
    )
    def dispatch(self):
        """Offered to an engineer or a point (again, when re-dispatched or overridden)."""

    @transition(field=state, source=R.DISPATCHED, target=R.NEW)
    def undispatch(self):
        """The offer was declined or ran out and no rule found anyone else."""

    @transition(field=state, source=R.DISPATCHED, target=R.ACCEPTED)
    def accept(self):
        pass

    @transition(field=state, source=R.ACCEPTED, target=R.ON_SITE)
    def check_in(self):
        pass

    @transition(field=state, source=R.ON_SITE, target=R.SOLVED)
    def solve(self):
        self.solved_at = timezone.now()

    @transition(field=state, source=R.ON_SITE, target=R.ESCALATED)
    def escalate(self):
        # each escalation asks for the fault to be confirmed anew (the last one is in the log)
        self.escalation_count += 1
        self.fault_confirmed = ""

    @transition(field=state, source=R.SOLVED, target=R.CLOSED)
    def close(self):
        self.closed_at = timezone.now()

    @transition(field=state, source=[R.SOLVED, R.CLOSED], target=R.ESCALATED)
    def reopen(self):
        """A dissatisfied callback: the event goes back to be confirmed and sent again."""
        self.closed_at = None
        self.escalation_count += 1
        self.fault_confirmed = ""

    @transition(
        field=state, source=[R.NEW, R.DISPATCHED, R.ACCEPTED, R.ESCALATED], target=R.CANCELLED
    )
    def cancel(self):
        pass


class DispatchQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user or not user.is_authenticated:
            return self.none()
        q = _partner_or_org_q(user, org_field="request__org_unit", partner_fields=("to_unit",))
        return self if q is None else self.filter(q)


class Dispatch(FSMModelMixin, models.Model):
    """One offer of a request (派单) to a field engineer or to a service point, who accepts or
    declines with a reason before `respond_by` (a timer of the deadline engine); else it
    expires and the request is dispatched again."""

    request = models.ForeignKey(
        ServiceRequest,
        verbose_name=_("报修单"),
        on_delete=models.CASCADE,
        related_name="dispatches",
    )
    state = FSMField(
        _("状态"), max_length=10, choices=DispatchState.choices, default=D.OFFERED, protected=True
    )
    to_unit = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("派给网点"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dispatches",
    )
    to_engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("派给工程师"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dispatches",
    )
    rule = models.CharField(_("派单依据"), max_length=200, blank=True)
    manual = models.BooleanField(_("人工派单"), default=False)
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("派单人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    offered_at = models.DateTimeField(_("派单时间"), default=timezone.now)
    respond_by = models.DateTimeField(_("接单时限"), null=True, blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    decline_reason = models.CharField(_("拒单原因"), max_length=200, blank=True)

    objects = DispatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("派单")
        verbose_name_plural = _("派单")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["to_unit", "state", "-id"], name="dispatch_to_unit"),
            models.Index(fields=["to_engineer", "state", "-id"], name="dispatch_to_engineer"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["request"], condition=Q(state="offered"), name="dispatch_one_open_offer"
            ),
            models.CheckConstraint(
                name="dispatch_has_a_target",
                condition=Q(to_unit__isnull=False) | Q(to_engineer__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.request} → {self.to_engineer or self.to_unit}"

    @transition(field=state, source=D.OFFERED, target=D.ACCEPTED)
    def accept(self):
        self.answered_at = timezone.now()

    @transition(field=state, source=D.OFFERED, target=D.DECLINED)
    def decline(self, reason: str = ""):
        self.answered_at = timezone.now()
        self.decline_reason = reason

    @transition(field=state, source=D.OFFERED, target=D.EXPIRED)
    def expire(self):
        pass

    @transition(field=state, source=[D.OFFERED, D.ACCEPTED], target=D.WITHDRAWN)
    def withdraw(self):
        """A dispatcher's override sends the request elsewhere."""


class VisitQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user or not user.is_authenticated:
            return self.none()
        q = _partner_or_org_q(user, org_field="request__org_unit", partner_fields=("service_unit",))
        if q is None:
            return self
        unit = user_org_unit(user)
        if unit is None or not unit.is_partner:
            return self.filter(q)
        # A partner's few visits: each way a visit is theirs through its own index, as one
        # UNION. The OR across the request join had PostgreSQL walk every visit newest first to
        # find none (380 ms at 1,000,000 orders for a dealer without visits).
        by_request = self.model.objects.filter(org_scope_q(user, "request__org_unit"))
        by_unit = self.model.objects.filter(org_scope_q(user, "service_unit"))
        ids = by_request.values("pk").union(by_unit.values("pk"), all=True)
        return self.filter(pk__in=ids)


class Visit(FSMModelMixin, models.Model):
    """One visit on site (上门服务) for a request: the appointment window, check-in, photos,
    diagnosis, parts, the work report and the customer's signature on the service record
    (服务记录单). A visit after one that did not solve the fault `follows` it."""

    request = models.ForeignKey(
        ServiceRequest, verbose_name=_("报修单"), on_delete=models.CASCADE, related_name="visits"
    )
    sequence = models.PositiveSmallIntegerField(_("第几次上门"), default=1)
    follows = models.ForeignKey(
        "self",
        verbose_name=_("前次上门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_ons",
    )
    state = FSMField(
        _("状态"), max_length=12, choices=VisitState.choices, default=V.PLANNED, protected=True
    )
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("服务工程师"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    service_unit = models.ForeignKey(
        "network.OrgUnit",
        verbose_name=_("服务网点"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    window_start = models.DateTimeField(_("预约开始"), null=True, blank=True)
    window_end = models.DateTimeField(_("预约结束"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("提醒时间"), null=True, blank=True, editable=False)
    # on site
    checked_in_at = models.DateTimeField(_("到达时间"), null=True, blank=True, editable=False)
    check_in_latitude = models.DecimalField(
        _("到达纬度"), max_digits=9, decimal_places=6, null=True, blank=True, editable=False
    )
    check_in_longitude = models.DecimalField(
        _("到达经度"), max_digits=9, decimal_places=6, null=True, blank=True, editable=False
    )
    check_in_accuracy_m = models.PositiveIntegerField(
        _("定位精度（米）"), null=True, blank=True, editable=False
    )
    # field-visit: the browser refused or could not give a location; why, as the engineer said
    check_in_location_note = models.CharField(
        _("未能定位原因"), max_length=200, blank=True, editable=False
    )
    diagnosis = models.TextField(_("故障诊断"), blank=True)
    work_report = models.TextField(_("处理情况"), blank=True)
    incomplete_reason = models.TextField(_("未解决原因"), blank=True)
    distance_km = models.DecimalField(
        _("路程（公里）"),
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        help_text=_("网点或工程师到客户处的单程距离，结算按距离分档"),
    )
    signature = models.FileField(
        _("客户签字"), upload_to="visits/signatures/%Y/%m/", blank=True, editable=False
    )
    signed_by = models.CharField(_("签字人"), max_length=60, blank=True, editable=False)
    signer_is_stand_in = models.BooleanField(_("代签"), default=False, editable=False)
    signed_at = models.DateTimeField(_("签字时间"), null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    # field-visit: the call centre's verdict on this visit's callback (the request keeps the
    # latest; a settlement gate reads the visit's own)
    callback_verdict = models.CharField(
        _("回访结果"),
        max_length=12,
        choices=CallbackVerdict.choices,
        default=CallbackVerdict.PENDING,
        editable=False,
    )

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("上门服务")
        verbose_name_plural = _("上门服务")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["engineer", "state", "-id"], name="visit_engineer"),
            models.Index(fields=["service_unit", "state", "-id"], name="visit_service_unit"),
            models.Index(fields=["state", "window_start"], name="visit_state_window"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["request", "sequence"], name="visit_sequence_unique"),
        ]

    def __str__(self):
        return f"{self.request}-{self.sequence}"

    def get_absolute_url(self):
        return reverse_id("repairs:visit_detail", self.pk)

    @property
    def state_colour(self) -> str:
        return VisitState.colour_of(self.state)

    @property
    def org_unit(self):
        """The owning office of the visit's request (the call centre counts a visit's callback
        for that department)."""
        return self.request.org_unit

    def missing_photo_kinds(self, policy: FieldServicePolicy | None = None) -> list[str]:
        """The photo kinds this visit's category requires that it has none of (a proof gate
        for finishing the visit and for the settlement)."""
        policy = policy or FieldServicePolicy.current()
        have = {p.kind for p in self.photos.all()}
        return [k for k in policy.photo_kinds_required(self.request.category) if k not in have]

    @transition(field=state, source=V.PLANNED, target=V.CHECKED_IN)
    def check_in(self):
        self.checked_in_at = timezone.now()

    @transition(field=state, source=V.CHECKED_IN, target=V.SOLVED)
    def finish_solved(self):
        self.finished_at = timezone.now()

    @transition(field=state, source=V.CHECKED_IN, target=V.INCOMPLETE)
    def finish_incomplete(self):
        self.finished_at = timezone.now()

    @transition(field=state, source=[V.PLANNED, V.CHECKED_IN], target=V.CANCELLED)
    def cancel(self):
        pass


class VisitPhoto(models.Model):
    """A photo taken on site; each category requires its kinds (before/after) before a visit
    may be finished (the proof gates of the settlement read them too)."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(_("照片类型"), max_length=8, choices=PhotoKind.choices)
    file = models.FileField(_("照片"), upload_to="visits/photos/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    # field-visit: the client's key of one upload, so a retry after a lost answer stores it once
    upload_key = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("上门照片")
        verbose_name_plural = _("上门照片")
        ordering = ["visit", "kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "upload_key"],
                condition=~Q(upload_key=""),
                name="visitphoto_upload_once",
            ),
        ]

    def __str__(self):
        return f"{self.visit} {choice_label(self, 'kind')}"
