"""On site (上门服务, seed 001; DESIGN §2.6): everything from the engineer's arrival on. The
dispatch side (repairs' field requests) creates the planned visit when an offer is accepted;
from there:

- check-in with the browser's location (latitude, longitude, accuracy) and the server's time;
  where the browser gives no location the engineer says why (recorded, never silently missing);
  the request goes on site;
- photos (before/after/other; type and size checked here, for the web and the API alike), the
  diagnosis, the work report, the distance, the parts used from the worker's own stock (reserved
  while the visit is open, issued when it is finished) and the customer's signature drawn on the
  phone (a PNG; the request's contact, or a named stand-in flagged as such);
- finishing solved needs the check-in, the category's required photos (FieldServicePolicy), the
  work report and a signature: the request is solved and the call centre asked for a callback
  within the policy's working days (hook `request_callback`); finishing not solved needs a reason:
  the request escalates and its dispatchers and field CS supervisor are told, one of them confirms
  the fault (`request_confirm_fault`) and the dispatch side sends someone again;
- the callback's verdict (hook `callback_verdict`, answered in repairs.hooks): satisfied closes
  the request, dissatisfied reopens it (escalated, people told), unreached is recorded.

Every state change runs through run_transition (locked fresh row, FSM, transition log); other
writes lock the visit row first (then the request's, then a stock balance's: the same order
everywhere). A state that does not allow the step is TransitionNotAllowed (409 / "not allowed
now"); bad input a ValidationError keyed by field (400 / form errors)."""

from __future__ import annotations

import base64
import binascii
import io
import re
from decimal import Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_fsm import TransitionNotAllowed

from network.selectors import role_holders
from service_ops import plugins
from service_ops.i18n import deferred, split
from service_ops.notifications.services import notify
from service_ops.transitions.models import ActionChannel, TransitionLog
from service_ops.transitions.services import run_transition
from spareparts.choices import ReservationState, WarehouseKind
from spareparts.models import Part, Warehouse
from spareparts.services.stock import stock_issue, stock_release, stock_reserve

from ..choices import CallbackVerdict, PhotoKind, ServiceRequestState, VisitState
from ..models import FieldServicePolicy, ServiceRequest, Visit, VisitPart, VisitPhoto
from ..permissions import FAULT_CONFIRMER_ROLES, may_confirm_fault, works_visit

V = VisitState
R = ServiceRequestState
SYSTEM = ActionChannel.SYSTEM
CALLBACK_PURPOSE = "field_visit"  # callcenter's CallbackPurpose.FIELD_VISIT

PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
PHOTO_MAX_PER_VISIT = 40
SIGNATURE_MAX_BYTES = 1024 * 1024
MAX_PART_QUANTITY = 99
MAX_DISTANCE_KM = Decimal("2000")
UPLOAD_KEY_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


# --- helpers ------------------------------------------------------------------------------------
def _lock_visit(visit_id: int) -> Visit:
    return Visit.objects.select_for_update().select_related("request").get(pk=visit_id)


def _require_worker(visit: Visit, actor) -> None:
    if not works_visit(actor, visit):
        raise PermissionDenied(_("只有本次上门的工程师或服务网点可以操作"))


def _require_on_site(visit: Visit, action: str) -> None:
    """Photos, the report, parts and the signature belong to a visit on site (checked in)."""
    if visit.state != V.CHECKED_IN:
        raise TransitionNotAllowed(
            f"'{action}' needs a checked-in visit, not '{visit.state}'", object=visit, method=None
        )


def _log(instance, *, transition: str, actor, channel: str, comment="") -> None:
    """A step that changes no state but belongs in the object's history (a confirmed fault, a
    callback's verdict that closes nothing)."""
    state = instance.state
    text, data = split(comment)
    TransitionLog.objects.create(
        object_type=ContentType.objects.get_for_model(type(instance)),
        object_id=instance.pk,
        transition=transition,
        from_state=state,
        to_state=state,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        channel=channel,
        comment=text[:2000],
        comment_i18n=data,
    )


def fault_confirmers(service_request: ServiceRequest) -> list:
    """The dispatchers and field CS supervisors of the request's office (or above it)."""
    people = {}
    for role in FAULT_CONFIRMER_ROLES:
        for user in role_holders(role, service_request.org_unit):
            people.setdefault(user.pk, user)
    return list(people.values())


def visit_warehouse(visit: Visit) -> Warehouse | None:
    """The stock a visit's parts come from: the engineer's own stock; else the service point's
    warehouse; else (an engineer with no own stock) the field office warehouse of the engineer's
    org unit — engineers without a warehouse of their own draw on their unit's."""
    if visit.engineer_id:
        own = Warehouse.objects.filter(
            engineer_id=visit.engineer_id, kind=WarehouseKind.ENGINEER, is_active=True
        ).first()
        if own is not None:
            return own
    if visit.service_unit_id:
        point = (
            Warehouse.objects.filter(
                org_unit_id=visit.service_unit_id,
                kind=WarehouseKind.SERVICE_POINT,
                is_active=True,
            )
            .order_by("pk")
            .first()
        )
        if point is not None:
            return point
    if visit.engineer_id:
        from network.models import StaffProfile

        unit_id = (
            StaffProfile.objects.filter(user_id=visit.engineer_id)
            .values_list("org_unit_id", flat=True)
            .first()
        )
        if unit_id:
            return (
                Warehouse.objects.filter(
                    org_unit_id=unit_id, kind=WarehouseKind.FIELD_OFFICE, is_active=True
                )
                .order_by("pk")
                .first()
            )
    return None


# --- check-in -----------------------------------------------------------------------------------
def _coordinate(value, low: int, high: int, field: str, errors: dict) -> Decimal | None:
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, TypeError, ValueError):
        errors[field] = _("请填写有效的坐标")
        return None
    if not number.is_finite() or not low <= number <= high:
        errors[field] = _("坐标超出范围")
        return None
    return number


def visit_check_in(
    *,
    visit_id: int,
    actor,
    latitude=None,
    longitude=None,
    accuracy_m=None,
    location_unavailable_reason: str = "",
    channel: str = ActionChannel.WEB,
) -> Visit:
    """到达签到: the location the browser gave (WGS-84 latitude/longitude and its accuracy in
    metres) and the server's time; without a location, the reason it is missing (the browser
    refused or could not locate) is required and recorded. The request goes on site."""
    reason = (location_unavailable_reason or "").strip()
    errors: dict = {}
    has_location = latitude not in (None, "") or longitude not in (None, "")
    lat = lon = accuracy = None
    if has_location:
        lat = _coordinate(latitude, -90, 90, "latitude", errors)
        lon = _coordinate(longitude, -180, 180, "longitude", errors)
        if accuracy_m not in (None, ""):
            try:
                accuracy = round(float(accuracy_m))
            except (TypeError, ValueError, OverflowError):
                accuracy = -1
            if not 0 <= accuracy <= 100_000:
                errors["accuracy_m"] = _("定位精度应在 0 到 100000 米之间")
        reason = ""
    elif not reason:
        errors["location_unavailable_reason"] = _("未能获取定位时，请说明原因")
    if len(reason) > 200:
        errors["location_unavailable_reason"] = _("原因不能超过 200 字")
    if errors:
        raise ValidationError(errors)

    def place(visit: Visit) -> None:
        _require_worker(visit, actor)
        visit.check_in_latitude, visit.check_in_longitude = lat, lon
        visit.check_in_accuracy_m = accuracy
        visit.check_in_location_note = reason

    comment = (
        f"{lat}, {lon} ±{accuracy if accuracy is not None else '?'} m"
        if has_location
        else deferred(gettext_noop("未能定位：%(r)s"), r=reason)
    )
    with transaction.atomic():
        visit = run_transition(
            Visit,
            visit_id,
            transition="check_in",
            actor=actor,
            channel=channel,
            comment=comment,
            check_permission=False,
            before=place,
        )
        run_transition(
            ServiceRequest,
            visit.request_id,
            transition="check_in",
            actor=actor,
            channel=channel,
            comment=str(visit),
            check_permission=False,
        )
    return visit


# --- photos -------------------------------------------------------------------------------------
def check_photo(file) -> str:
    """The photo's extension when it is a JPEG, PNG or WebP picture of at most 10 MB; else a
    ValidationError on `file` (what the browser or the client says it is does not count: the
    bytes are read)."""
    from PIL import Image, UnidentifiedImageError

    if file is None:
        raise ValidationError({"file": _("请选择照片")})
    size = getattr(file, "size", None) or 0
    if size > PHOTO_MAX_BYTES:
        raise ValidationError(
            {"file": _("照片不能超过 %(n)s MB") % {"n": PHOTO_MAX_BYTES // (1024 * 1024)}}
        )
    if size == 0:
        raise ValidationError({"file": _("照片文件是空的")})
    try:
        file.seek(0)
        with Image.open(file) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError({"file": _("只能上传 JPEG、PNG 或 WebP 图片")}) from None
    finally:
        file.seek(0)
    if kind not in PHOTO_FORMATS:
        raise ValidationError({"file": _("只能上传 JPEG、PNG 或 WebP 图片")})
    return PHOTO_FORMATS[kind]


def visit_add_photo(
    *,
    visit_id: int,
    actor,
    kind: str,
    file,
    upload_key: str = "",
    channel: str = ActionChannel.WEB,
) -> tuple[VisitPhoto, bool]:
    """One photo of the visit on site. `upload_key` (the client's id of this upload, 1–64 of
    A–Z a–z 0–9 _ . : -): a retry with the same key returns the photo stored the first time
    (created False) instead of storing it twice."""
    errors = {}
    if kind not in PhotoKind.values:
        errors["kind"] = _("请选择照片类型")
    key = (upload_key or "").strip()
    if key and not UPLOAD_KEY_RE.match(key):
        errors["upload_key"] = _("上传编号格式不正确")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        visit = _lock_visit(visit_id)
        _require_worker(visit, actor)
        if key:
            earlier = VisitPhoto.objects.filter(visit=visit, upload_key=key).first()
            if earlier is not None:
                return earlier, False
        _require_on_site(visit, "add_photo")
        extension = check_photo(file)
        if visit.photos.count() >= PHOTO_MAX_PER_VISIT:
            raise ValidationError(
                {"file": _("每次上门最多 %(n)s 张照片") % {"n": PHOTO_MAX_PER_VISIT}}
            )
        photo = VisitPhoto(
            visit=visit,
            kind=kind,
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
            upload_key=key,
        )
        photo.file.save(f"{visit.pk}-{kind}.{extension}", file, save=False)
        try:
            with transaction.atomic():
                photo.save()
        except IntegrityError:  # the same key, racing: the first one stands
            photo.file.delete(save=False)
            return VisitPhoto.objects.get(visit=visit, upload_key=key), False
    return photo, True


def visit_delete_photo(*, photo_id: int, actor) -> None:
    """A wrong photo taken off again, while the visit is on site."""
    with transaction.atomic():
        visit_id = VisitPhoto.objects.values_list("visit_id", flat=True).get(pk=photo_id)
        visit = _lock_visit(visit_id)
        _require_worker(visit, actor)
        _require_on_site(visit, "delete_photo")
        photo = VisitPhoto.objects.get(pk=photo_id)
        name = photo.file.name
        photo.delete()
        if name:
            storage = photo.file.storage
            transaction.on_commit(lambda: storage.delete(name), robust=True)


# --- diagnosis, work report, distance -----------------------------------------------------------
def visit_record(
    *,
    visit_id: int,
    actor,
    diagnosis: str | None = None,
    work_report: str | None = None,
    distance_km=None,
    channel: str = ActionChannel.WEB,
) -> Visit:
    """故障诊断、处理情况、路程: what is given is written (None leaves a field as it is)."""
    errors = {}
    distance = None
    if distance_km not in (None, ""):
        try:
            distance = Decimal(str(distance_km)).quantize(Decimal("0.1"))
        except (InvalidOperation, TypeError, ValueError):
            errors["distance_km"] = _("请填写有效的公里数")
        else:
            if not distance.is_finite() or not 0 <= distance <= MAX_DISTANCE_KM:
                errors["distance_km"] = _("路程应在 0 到 %(n)s 公里之间") % {"n": MAX_DISTANCE_KM}
    for name, value in (("diagnosis", diagnosis), ("work_report", work_report)):
        if value is not None and len(value) > 5000:
            errors[name] = _("不能超过 5000 字")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        visit = _lock_visit(visit_id)
        _require_worker(visit, actor)
        _require_on_site(visit, "record")
        fields = []
        if diagnosis is not None:
            visit.diagnosis = diagnosis.strip()
            fields.append("diagnosis")
        if work_report is not None:
            visit.work_report = work_report.strip()
            fields.append("work_report")
        if distance_km is not None:
            visit.distance_km = distance
            fields.append("distance_km")
        if fields:
            visit.save(update_fields=fields)
    return visit


# --- parts from the worker's stock ----------------------------------------------------------------
def visit_add_part(
    *, visit_id: int, actor, part: Part, quantity: int = 1, channel: str = ActionChannel.WEB
) -> VisitPart:
    """A part used on site, from the stock of whoever works the visit (visit_warehouse): set
    aside now (InsufficientStock, a 400 on `quantity`, when the stock does not cover it), issued
    when the visit is finished. The visit service checked the worker; the warehouse is theirs, so
    the stock moves are the system's on their behalf (the ledger names the actor)."""
    errors = {}
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        errors["quantity"] = _("数量须为正整数")
    elif not 1 <= quantity <= MAX_PART_QUANTITY:
        errors["quantity"] = _("数量应在 1 到 %(n)s 之间") % {"n": MAX_PART_QUANTITY}
    if part is None or not part.is_active:
        errors["part"] = _("配件不存在或已停用")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        visit = _lock_visit(visit_id)
        _require_worker(visit, actor)
        _require_on_site(visit, "add_part")
        warehouse = visit_warehouse(visit)
        if warehouse is None:
            raise ValidationError({"part": _("没有可领用配件的库存（工程师或网点尚无仓库）")})
        reservation = stock_reserve(
            part=part,
            warehouse=warehouse,
            quantity=quantity,
            actor=actor,
            reason=_("上门服务 %(v)s") % {"v": visit},
            source=visit,
            channel=SYSTEM,
        )
        return VisitPart.objects.create(
            visit=visit,
            part=part,
            quantity=quantity,
            unit_price=part.list_price,
            in_warranty=bool(visit.request.in_warranty),
            warehouse=warehouse,
            reservation=reservation,
            added_by=actor if getattr(actor, "is_authenticated", False) else None,
        )


def visit_remove_part(*, line_id: int, actor) -> VisitPart:
    """A part line entered by mistake: its reservation is released (the stock is available
    again); the line stays in the history as removed."""
    with transaction.atomic():
        visit_id = VisitPart.objects.values_list("visit_id", flat=True).get(pk=line_id)
        visit = _lock_visit(visit_id)
        _require_worker(visit, actor)
        _require_on_site(visit, "remove_part")
        line = VisitPart.objects.select_for_update().get(pk=line_id)
        if line.removed_at is not None:
            return line
        if line.reservation_id:
            stock_release(
                reservation_id=line.reservation_id,
                actor=actor,
                reason=_("上门服务 %(v)s 删除用料") % {"v": visit},
                channel=SYSTEM,
            )
        line.removed_at = timezone.now()
        line.save(update_fields=["removed_at"])
        return line


def _issue_parts(visit: Visit, actor) -> None:
    lines = VisitPart.objects.filter(
        visit=visit, removed_at__isnull=True, issued_at__isnull=True
    ).select_related("reservation")
    now = timezone.now()
    for line in lines:
        if line.reservation_id and line.reservation.state == ReservationState.RESERVED:
            stock_issue(
                reservation_id=line.reservation_id,
                actor=actor,
                reason=_("上门服务 %(v)s 用料") % {"v": visit},
                channel=SYSTEM,
            )
        line.issued_at = now
        line.save(update_fields=["issued_at"])


# --- the customer's signature ---------------------------------------------------------------------
def decode_signature(data) -> bytes:
    """The PNG bytes of a signature: raw bytes, an uploaded file, a base64 string or a
    `data:image/png;base64,…` URL (what a canvas gives)."""
    if data is None:
        return b""
    if hasattr(data, "read"):
        if (getattr(data, "size", 0) or 0) > SIGNATURE_MAX_BYTES:
            raise ValidationError({"signature": _("签字图片过大")})
        return data.read()
    if isinstance(data, bytes):
        return data
    text = str(data).strip()
    if text.startswith("data:"):
        header, _sep, text = text.partition(",")
        if ";base64" not in header:
            raise ValidationError({"signature": _("签字图片格式不正确")})
    if len(text) > SIGNATURE_MAX_BYTES * 4 // 3 + 4:
        raise ValidationError({"signature": _("签字图片过大")})
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError({"signature": _("签字图片格式不正确")}) from None


def check_signature(png: bytes) -> None:
    """A PNG with something drawn on it (not an empty canvas), of a sensible size."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not png:
        raise ValidationError({"signature": _("请让客户在签字区签字")})
    if len(png) > SIGNATURE_MAX_BYTES:
        raise ValidationError({"signature": _("签字图片过大")})
    try:
        with Image.open(io.BytesIO(png)) as image:
            if image.format != "PNG":
                raise ValidationError({"signature": _("签字须为 PNG 图片")})
            width, height = image.size
            if not (40 <= width <= 4000 and 20 <= height <= 4000):
                raise ValidationError({"signature": _("签字图片尺寸不正确")})
            rgba = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise ValidationError({"signature": _("签字须为 PNG 图片")}) from None
    alpha = rgba.getchannel("A")
    if alpha.getextrema()[0] == 255:  # opaque: ink is what is darker than the paper
        ink = ImageOps.invert(rgba.convert("L")).point(lambda v: 255 if v > 60 else 0)
    else:
        ink = alpha.point(lambda v: 255 if v > 60 else 0)
    if ink.getbbox() is None:
        raise ValidationError({"signature": _("签字区是空白的，请让客户签字")})


def visit_sign(
    *,
    visit_id: int,
    actor,
    signature,
    stand_in: bool = False,
    signer_name: str = "",
    channel: str = ActionChannel.WEB,
) -> Visit:
    """客户签字 on the service record, drawn on the phone: by the request's contact, or by a
    named stand-in (代签, flagged). Signing again replaces the signature while on site."""
    name = (signer_name or "").strip()
    errors = {}
    if stand_in and not name:
        errors["signer_name"] = _("代签时请填写签字人姓名")
    if len(name) > 60:
        errors["signer_name"] = _("姓名不能超过 60 字")
    if errors:
        raise ValidationError(errors)
    png = decode_signature(signature)
    check_signature(png)
    with transaction.atomic():
        visit = _lock_visit(visit_id)
        _require_worker(visit, actor)
        _require_on_site(visit, "sign")
        old = visit.signature.name
        visit.signed_by = name if stand_in else (visit.request.contact_name or name)
        visit.signer_is_stand_in = bool(stand_in)
        visit.signed_at = timezone.now()
        visit.signature.save(f"{visit.pk}.png", ContentFile(png), save=False)
        visit.save(update_fields=["signature", "signed_by", "signer_is_stand_in", "signed_at"])
        if old and old != visit.signature.name:
            storage = visit.signature.storage
            transaction.on_commit(lambda: storage.delete(old), robust=True)
    return visit


# --- finishing ----------------------------------------------------------------------------------
def finish_problems(visit: Visit, *, solved: bool, policy: FieldServicePolicy | None = None):
    """What keeps the visit from being finished this way ({field: message}); empty when
    nothing does. The page shows them before the engineer tries."""
    problems = {}
    if solved:
        missing = visit.missing_photo_kinds(policy)
        if missing:
            labels = "、".join(str(PhotoKind(k).label) for k in missing)
            problems["photos"] = _("还缺少必传照片：%(kinds)s") % {"kinds": labels}
        if not visit.work_report.strip():
            problems["work_report"] = _("请填写处理情况")
        if not visit.signature:
            problems["signature"] = _("解决的上门服务须有客户签字")
    return problems


def visit_finish(
    *,
    visit_id: int,
    actor,
    solved: bool,
    incomplete_reason: str = "",
    channel: str = ActionChannel.WEB,
) -> Visit:
    """完成上门. Solved: the required photos, the work report and the signature must be there;
    the parts are issued, the request solved and the callback asked for. Not solved: the
    reason is required; the parts used are issued, the request escalates and the people who
    confirm the fault are told."""
    reason = (incomplete_reason or "").strip()
    if not solved and not reason:
        raise ValidationError({"incomplete_reason": _("未解决时请填写原因")})
    policy = FieldServicePolicy.current()
    with transaction.atomic():
        visit = _lock_visit(visit_id)
        _require_worker(visit, actor)
        if visit.state != V.CHECKED_IN:
            raise TransitionNotAllowed(
                f"finish needs a checked-in visit, not '{visit.state}'",
                object=visit,
                method=visit.finish_solved if solved else visit.finish_incomplete,
            )
        problems = finish_problems(visit, solved=solved, policy=policy)
        if problems:
            raise ValidationError(problems)
        _issue_parts(visit, actor)
        if solved:
            return _finish_solved(visit, actor=actor, channel=channel, policy=policy)
        return _finish_incomplete(visit, actor=actor, channel=channel, reason=reason)


def _finish_solved(visit: Visit, *, actor, channel, policy: FieldServicePolicy) -> Visit:
    def pending(instance: ServiceRequest) -> None:
        instance.callback_verdict = CallbackVerdict.PENDING

    visit = run_transition(
        Visit,
        visit.pk,
        transition="finish_solved",
        actor=actor,
        channel=channel,
        check_permission=False,
    )
    service_request = run_transition(
        ServiceRequest,
        visit.request_id,
        transition="solve",
        actor=actor,
        channel=channel,
        comment=str(visit),
        check_permission=False,
        before=pending,
    )
    # Through the call centre's declared hook (repairs knows nothing of its internals): one
    # callback per solved visit, within the field policy's working days.
    plugins.call_hook(
        "request_callback",
        subject=visit,
        purpose=CALLBACK_PURPOSE,
        contact_name=service_request.contact_name,
        contact_phone=service_request.contact_phone,
        limit_working_days=policy.callback_working_days,
    )
    return Visit.objects.select_related("request").get(pk=visit.pk)


def _finish_incomplete(visit: Visit, *, actor, channel, reason: str) -> Visit:
    def keep_reason(instance: Visit) -> None:
        instance.incomplete_reason = reason

    def escalation(instance: ServiceRequest) -> None:
        instance.escalation_reason = reason
        instance.fault_confirmed = ""  # a new escalation waits for a new confirmation

    visit = run_transition(
        Visit,
        visit.pk,
        transition="finish_incomplete",
        actor=actor,
        channel=channel,
        comment=reason,
        check_permission=False,
        before=keep_reason,
    )
    service_request = run_transition(
        ServiceRequest,
        visit.request_id,
        transition="escalate",
        actor=actor,
        channel=channel,
        comment=reason,
        check_permission=False,
        before=escalation,
    )
    _tell_escalated(
        service_request,
        subject=deferred(
            gettext_noop("上门未解决，已升级，请确认故障并重新派单：%(no)s"),
            no=service_request.number,
        ),
        body=reason,
        actor=actor,
    )
    return Visit.objects.select_related("request").get(pk=visit.pk)


def _tell_escalated(service_request: ServiceRequest, *, subject, body: str, actor, also=()) -> None:
    """The dispatchers and field CS supervisor are asked to act (待办: done when the request
    moves on, i.e. is dispatched again); `also` (the engineer) hear of it."""
    recipients = [u for u in fault_confirmers(service_request) if u.pk != getattr(actor, "pk", 0)]
    if also:
        notify(
            recipients=list(also),
            subject=subject,
            body=body,
            url=reverse("repairs:request_fault", args=[service_request.pk]),
            category="field_service",
            source=service_request,
        )
    if recipients:
        notify(
            recipients=recipients,
            subject=subject,
            body=body,
            url=reverse("repairs:request_fault", args=[service_request.pk]),
            urgent=True,
            category="field_service",
            source=service_request,
            action=True,
        )


# --- the dispatcher's fault confirmation ----------------------------------------------------------
def request_confirm_fault(
    *, request_id: int, actor, text: str, channel: str = ActionChannel.WEB
) -> ServiceRequest:
    """故障确认: the dispatcher (or field CS supervisor) of an escalated request records the
    confirmed fault, before the dispatch side sends an engineer again. Logged in the request's
    history; its state stays escalated."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"fault_confirmed": _("请填写确认的故障")})
    if len(text) > 2000:
        raise ValidationError({"fault_confirmed": _("不能超过 2000 字")})
    with transaction.atomic():
        service_request = ServiceRequest.objects.select_for_update().get(pk=request_id)
        if not may_confirm_fault(actor, service_request):
            raise PermissionDenied(_("只有派单员或驻外客服主管可以确认故障"))
        if service_request.state != R.ESCALATED:
            raise TransitionNotAllowed(
                f"confirm_fault needs an escalated request, not '{service_request.state}'",
                object=service_request,
                method=None,
            )
        service_request.fault_confirmed = text
        service_request.save(update_fields=["fault_confirmed"])
        _log(
            service_request,
            transition="confirm_fault",
            actor=actor,
            channel=channel,
            comment=text,
        )
    return service_request


# --- the callback's verdict (hook callback_verdict) -----------------------------------------------
def visit_callback_verdict(*, visit: Visit, verdict: str, comments: str = "") -> ServiceRequest:
    """The call centre closed the callback of a solved visit. Satisfied: the request closes.
    Dissatisfied: it reopens (escalated) and its dispatchers are told. Unreached: recorded. A
    request no longer in a state the verdict can move (already reopened, say) keeps its state;
    the verdict is recorded on the visit and the request all the same."""
    if verdict not in (
        CallbackVerdict.SATISFIED,
        CallbackVerdict.DISSATISFIED,
        CallbackVerdict.UNREACHED,
    ):
        raise ValueError(f"unknown callback verdict {verdict!r}")
    label = CallbackVerdict(verdict).label
    with transaction.atomic():
        Visit.objects.select_for_update().filter(pk=visit.pk).update(callback_verdict=verdict)
        service_request = ServiceRequest.objects.select_for_update().get(pk=visit.request_id)
        latest = (
            not Visit.objects.filter(request_id=service_request.pk, sequence__gt=visit.sequence)
            .exclude(state=V.CANCELLED)
            .exists()
        )
        if not latest:  # a later visit has taken over the event: only the visit records it
            return service_request

        def record(instance: ServiceRequest) -> None:
            instance.callback_verdict = verdict
            if verdict == CallbackVerdict.DISSATISFIED:
                instance.escalation_reason = _("回访不满意：%(c)s") % {"c": comments or "-"}
                instance.fault_confirmed = ""

        comment = deferred(gettext_noop("回访结果：%(v)s"), v=label)
        if verdict == CallbackVerdict.SATISFIED and service_request.state == R.SOLVED:
            service_request = run_transition(
                ServiceRequest,
                service_request.pk,
                transition="close",
                channel=SYSTEM,
                comment=comment,
                before=record,
            )
        elif verdict == CallbackVerdict.DISSATISFIED and service_request.state in (
            R.SOLVED,
            R.CLOSED,
        ):
            service_request = run_transition(
                ServiceRequest,
                service_request.pk,
                transition="reopen",
                channel=SYSTEM,
                comment=comment,
                before=record,
            )
            _tell_escalated(
                service_request,
                subject=deferred(
                    gettext_noop("回访不满意，报修已重新打开，请确认故障并重新派单：%(no)s"),
                    no=service_request.number,
                ),
                body=comments,
                actor=None,
                also=[visit.engineer_id] if visit.engineer_id else [],
            )
        else:
            record(service_request)
            service_request.save(update_fields=["callback_verdict"])
            _log(
                service_request,
                transition="callback_verdict",
                actor=None,
                channel=SYSTEM,
                comment=comment,
            )
    return service_request
