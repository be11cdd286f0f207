"""Writes of the service network (HackSoft style: `<entity>_<action>(*, ...)`).

The prepaid balance changes only through `prepaid_post`, which locks the account row, so two
concurrent charges can never take the balance below zero; every change is a ledger row with the
balance after it. Partner API tokens are issued and revoked here: only the SHA-256 digest of the
secret is stored, and the plaintext is returned once, to the caller of `token_issue`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from service_ops.audit import acting_as

from .api.authentication import digest_of, format_token, new_token_parts
from .choices import LEDGER_SIGN, PARTNER_KINDS, LedgerEntryKind
from .models import OrgUnit, PartnerToken, PrepaidAccount, PrepaidEntry, StaffProfile

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")


# --- staff profiles ----------------------------------------------------------------------------


def staff_profile_set(
    *,
    user,
    org_unit: OrgUnit,
    title: str | None = None,
    phone: str | None = None,
) -> StaffProfile:
    """Attach a user to an org unit (create or move the profile); `None` keeps a field as is."""
    profile = StaffProfile.objects.filter(user=user).first() or StaffProfile(user=user)
    profile.org_unit = org_unit
    if title is not None:
        profile.title = title
    if phone is not None:
        profile.phone = phone
    profile.save()
    user.profile = profile
    return profile


# --- prepaid balance ---------------------------------------------------------------------------


def _clean_amount(amount) -> Decimal:
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise ValidationError({"amount": _("金额必须是十进制数（Decimal），不能是浮点数或文本")})
    value = Decimal(amount)
    if not value.is_finite() or value <= 0:
        raise ValidationError({"amount": _("金额必须大于 0")})
    if value != value.quantize(CENT):
        raise ValidationError({"amount": _("金额最多两位小数")})
    return value.quantize(CENT)


def _locked_account(org_unit: OrgUnit) -> PrepaidAccount:
    """The org unit's account, locked for this transaction; opened on first use."""
    account = PrepaidAccount.objects.select_for_update().filter(org_unit=org_unit).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            PrepaidAccount.objects.create(org_unit=org_unit)
    except IntegrityError:  # opened by a concurrent first post: fine, lock that one
        pass
    return PrepaidAccount.objects.select_for_update().get(org_unit=org_unit)


def prepaid_check_org_unit(org_unit: OrgUnit) -> None:
    if org_unit.kind not in PARTNER_KINDS:
        raise ValidationError(
            {"org_unit": _("只有代理商和特约维修网点有预存款账户：%(unit)s") % {"unit": org_unit}}
        )


@transaction.atomic
def prepaid_post(
    *,
    org_unit: OrgUnit,
    kind: str,
    amount: Decimal,
    actor=None,
    reference: str = "",
    note: str = "",
) -> PrepaidEntry:
    """Post one ledger entry (top-up, charge or refund) to the org unit's prepaid account.

    Locks the account row (opening it on first use), applies the entry's sign, refuses a charge
    the balance does not cover (余额不足) and records the balance after the entry."""
    if kind not in LEDGER_SIGN:
        raise ValidationError({"kind": _("未知的流水类型：%(kind)s") % {"kind": kind}})
    value = _clean_amount(amount)
    prepaid_check_org_unit(org_unit)
    account = _locked_account(org_unit)
    balance = account.balance + LEDGER_SIGN[kind] * value
    if balance < 0:
        raise ValidationError(
            {
                "amount": _("余额不足：当前余额 ¥%(balance)s，本次%(kind)s ¥%(amount)s")
                % {
                    "balance": account.balance,
                    "kind": LedgerEntryKind(kind).label,
                    "amount": value,
                }
            },
            code="insufficient_balance",
        )
    account.balance = balance
    account.save(update_fields=["balance", "updated_at"])
    return PrepaidEntry.objects.create(
        account=account,
        kind=kind,
        amount=value,
        balance_after=balance,
        reference=reference[:64],
        note=note[:200],
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def prepaid_balance(*, org_unit: OrgUnit) -> Decimal:
    """The balance without locking (zero before the first entry)."""
    value = (
        PrepaidAccount.objects.filter(org_unit=org_unit).values_list("balance", flat=True).first()
    )
    return value if value is not None else Decimal("0.00")


# --- partner API tokens ------------------------------------------------------------------------


def token_issue_validate(*, org_unit: OrgUnit, user, expires_at: datetime | None = None) -> None:
    """The checks of `token_issue`, also run by the admin form before it saves."""
    errors: dict[str, list[str]] = {}
    if org_unit.kind not in PARTNER_KINDS:
        errors.setdefault("org_unit", []).append(_("只能为代理商或特约维修网点签发令牌"))
    if not org_unit.is_active:
        errors.setdefault("org_unit", []).append(_("该组织已停用"))
    if not user.is_active:
        errors.setdefault("user", []).append(_("服务账号已停用"))
    if user.is_superuser or user.is_staff:
        errors.setdefault("user", []).append(_("不能为管理员账号签发合作方令牌"))
    profile = StaffProfile.objects.filter(user=user).select_related("org_unit").first()
    if profile is not None and profile.org_unit_id != org_unit.pk:
        errors.setdefault("user", []).append(
            _("服务账号属于其他组织（%(unit)s）") % {"unit": profile.org_unit}
        )
    if expires_at is not None and expires_at <= timezone.now():
        errors.setdefault("expires_at", []).append(_("过期时间必须晚于现在"))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def token_issue(
    *,
    org_unit: OrgUnit,
    user,
    name: str,
    expires_at: datetime | None = None,
    actor=None,
) -> tuple[PartnerToken, str]:
    """Issue a partner API token. Returns the token row and the plaintext
    (`so_<prefix>_<secret>`), which is never stored and cannot be shown again.

    A service user without a staff profile is attached to the org unit, so the visibility rule
    (which reads the user's org unit) scopes the token to that organisation."""
    with acting_as(actor):
        return _token_issue(
            org_unit=org_unit, user=user, name=name, expires_at=expires_at, actor=actor
        )


def _token_issue(*, org_unit, user, name, expires_at, actor) -> tuple[PartnerToken, str]:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写令牌名称")})
    token_issue_validate(org_unit=org_unit, user=user, expires_at=expires_at)
    if not StaffProfile.objects.filter(user=user).exists():
        staff_profile_set(user=user, org_unit=org_unit)
    for _attempt in range(5):
        prefix, secret = new_token_parts()
        try:
            with transaction.atomic():
                token = PartnerToken.objects.create(
                    org_unit=org_unit,
                    user=user,
                    name=name[:80],
                    prefix=prefix,
                    digest=digest_of(secret),
                    expires_at=expires_at,
                )
        except IntegrityError:  # prefix collision (40 random bits): draw again
            continue
        logger.info(
            "partner token %s issued for %s (user %s) by %s",
            prefix,
            org_unit.code,
            user.pk,
            getattr(actor, "pk", None),
        )
        return token, format_token(prefix, secret)
    raise RuntimeError("could not draw a unique token prefix")  # pragma: no cover


DEFAULT_ROTATION_OVERLAP = timedelta(days=7)
MAX_ROTATION_OVERLAP = timedelta(days=30)


@transaction.atomic
def token_rotate(
    *, token: PartnerToken | int, overlap: timedelta = DEFAULT_ROTATION_OVERLAP, actor=None
) -> tuple[PartnerToken, str]:
    """Issue the successor of a token (same partner, service user, name and rate) and let the
    old one work on for `overlap` only, so the partner can switch its systems over without a
    gap. Returns the new row and its plaintext (shown once). Rotating twice at once: the row
    lock queues the second, which finds the token already replaced."""
    pk = token.pk if isinstance(token, PartnerToken) else token
    old = PartnerToken.objects.select_for_update().get(pk=pk)
    now = timezone.now()
    if old.replaced_by_id is not None:
        raise ValidationError(_("该令牌已轮换，请使用新令牌"))
    if not old.is_usable(now):
        raise ValidationError(_("该令牌已过期或已吊销，不能轮换"))
    if not timedelta(0) <= overlap <= MAX_ROTATION_OVERLAP:
        raise ValidationError(
            {"overlap": _("并行期须在 0 到 %(d)d 天之间") % {"d": MAX_ROTATION_OVERLAP.days}}
        )
    new, plaintext = token_issue(
        org_unit=old.org_unit,
        user=old.user,
        name=old.name,
        expires_at=old.expires_at if old.expires_at and old.expires_at > now + overlap else None,
        actor=actor,
    )
    if old.throttle_rate:
        PartnerToken.objects.filter(pk=new.pk).update(throttle_rate=old.throttle_rate)
        new.throttle_rate = old.throttle_rate
    ends = now + overlap
    old.expires_at = min(old.expires_at, ends) if old.expires_at else ends
    old.replaced_by = new
    old.save(update_fields=["expires_at", "replaced_by"])
    logger.info(
        "partner token %s rotated to %s (old one works until %s) by %s",
        old.prefix,
        new.prefix,
        old.expires_at.isoformat(),
        getattr(actor, "pk", None),
    )
    return new, plaintext


@transaction.atomic
def token_revoke(*, token: PartnerToken | int, actor=None) -> PartnerToken:
    """Revoke a token now (idempotent: a revoked token keeps its first revocation time)."""
    pk = token.pk if isinstance(token, PartnerToken) else token
    locked = PartnerToken.objects.select_for_update().get(pk=pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        with acting_as(actor):
            locked.save(update_fields=["revoked_at"])
        logger.info("partner token %s revoked by %s", locked.prefix, getattr(actor, "pk", None))
    return locked
