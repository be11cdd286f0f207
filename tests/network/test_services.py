"""network.services: the prepaid ledger and partner tokens."""

import hashlib
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection
from django.utils import timezone, translation

from network.choices import LedgerEntryKind, OrgKind
from network.models import PartnerToken, PrepaidAccount, PrepaidEntry, StaffProfile
from network.services import prepaid_balance, prepaid_post, staff_profile_set, token_revoke
from tests.factories import issue_token, make_unit, service_user, top_up


@pytest.fixture(autouse=True)
def _chinese_ui():
    """Messages are asserted in Chinese, whatever language an earlier test left active."""
    with translation.override("zh-hans"):
        yield


TOP_UP, CHARGE, REFUND = LedgerEntryKind.TOP_UP, LedgerEntryKind.CHARGE, LedgerEntryKind.REFUND


@pytest.fixture
def point(db):
    hq = make_unit("HQ", OrgKind.HEADQUARTERS)
    return make_unit("SP-1", OrgKind.SERVICE_POINT, hq, name="天河特约维修网点")


# --- prepaid ledger ----------------------------------------------------------------------------


def test_the_first_top_up_opens_the_account(point):
    assert prepaid_balance(org_unit=point) == Decimal("0")
    entry = top_up(point, "100.00", reference="充值单 1")
    account = PrepaidAccount.objects.get(org_unit=point)
    assert account.balance == Decimal("100.00")
    assert entry.account == account
    assert entry.balance_after == Decimal("100.00")
    assert entry.reference == "充值单 1"


def test_top_up_charge_and_refund_leave_a_full_history(point, django_user_model):
    clerk = django_user_model.objects.create_user("specialist")
    top_up(point, "100", actor=clerk)
    prepaid_post(org_unit=point, kind=CHARGE, amount=Decimal("30.50"), reference="ACT-1")
    prepaid_post(org_unit=point, kind=REFUND, amount=Decimal("10"), note="重复扣费退回")
    history = list(
        PrepaidEntry.objects.filter(account__org_unit=point)
        .order_by("id")
        .values_list("kind", "amount", "balance_after")
    )
    assert history == [
        (TOP_UP, Decimal("100.00"), Decimal("100.00")),
        (CHARGE, Decimal("30.50"), Decimal("69.50")),
        (REFUND, Decimal("10.00"), Decimal("79.50")),
    ]
    assert prepaid_balance(org_unit=point) == Decimal("79.50")
    assert PrepaidEntry.objects.order_by("id").first().created_by == clerk


def test_a_charge_the_balance_does_not_cover_is_refused_and_changes_nothing(point):
    top_up(point, "20")
    with pytest.raises(ValidationError) as error:
        prepaid_post(org_unit=point, kind=CHARGE, amount=Decimal("20.01"))
    assert "余额不足" in error.value.message_dict["amount"][0]
    assert prepaid_balance(org_unit=point) == Decimal("20.00")
    assert PrepaidEntry.objects.count() == 1
    # exactly the balance is fine, and leaves zero
    prepaid_post(org_unit=point, kind=CHARGE, amount=Decimal("20"))
    assert prepaid_balance(org_unit=point) == Decimal("0.00")


def test_a_charge_on_an_account_never_topped_up_is_refused(point):
    with pytest.raises(ValidationError, match="余额不足"):
        prepaid_post(org_unit=point, kind=CHARGE, amount=Decimal("1"))
    assert not PrepaidEntry.objects.exists()


@pytest.mark.parametrize(
    "amount", [Decimal("0"), Decimal("-5"), Decimal("0.001"), Decimal("NaN"), 1.5, "10", True]
)
def test_the_amount_must_be_a_positive_decimal_in_cents(point, amount):
    with pytest.raises(ValidationError) as error:
        prepaid_post(org_unit=point, kind=TOP_UP, amount=amount)
    assert "amount" in error.value.message_dict
    assert not PrepaidEntry.objects.exists()


def test_an_integer_amount_is_accepted(point):
    assert top_up(point, "0.01").amount == Decimal("0.01")
    assert prepaid_post(org_unit=point, kind=TOP_UP, amount=5).balance_after == Decimal("5.01")


def test_an_unknown_entry_kind_is_refused(point):
    with pytest.raises(ValidationError) as error:
        prepaid_post(org_unit=point, kind="gift", amount=Decimal("5"))
    assert "kind" in error.value.message_dict


def test_only_dealers_and_service_points_have_a_prepaid_account(db):
    branch = make_unit("GZ", OrgKind.BRANCH, branch_kind="operating")
    with pytest.raises(ValidationError) as error:
        top_up(branch, "10")
    assert "org_unit" in error.value.message_dict
    assert not PrepaidAccount.objects.exists()


def _in_threads(count, work):
    """Run work(i) in `count` threads started together; returns the results (or exceptions)."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(i):
        try:
            barrier.wait(timeout=10)
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    close_old_connections()
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_charges_never_take_the_balance_below_zero():
    hq = make_unit("HQ", OrgKind.HEADQUARTERS)
    point = make_unit("SP-9", OrgKind.SERVICE_POINT, hq)
    top_up(point, "100")

    results = _in_threads(
        10, lambda i: prepaid_post(org_unit=point, kind=CHARGE, amount=Decimal("30"))
    )

    succeeded = [r for r in results if isinstance(r, PrepaidEntry)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(succeeded) == 3, results
    assert len(refused) == 7
    assert all("余额不足" in str(r) for r in refused)
    assert prepaid_balance(org_unit=point) == Decimal("10.00")
    after = sorted(e.balance_after for e in succeeded)
    assert after == [Decimal("10.00"), Decimal("40.00"), Decimal("70.00")]
    assert PrepaidEntry.objects.filter(kind=CHARGE).count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_top_ups_open_one_account_and_lose_nothing():
    hq = make_unit("HQ", OrgKind.HEADQUARTERS)
    dealer = make_unit("D-9", OrgKind.DEALER, hq)

    results = _in_threads(6, lambda i: top_up(dealer, "10"))

    assert all(isinstance(r, PrepaidEntry) for r in results), results
    assert PrepaidAccount.objects.filter(org_unit=dealer).count() == 1
    assert prepaid_balance(org_unit=dealer) == Decimal("60.00")
    assert sorted(r.balance_after for r in results) == [Decimal(n) for n in range(10, 70, 10)]


# --- partner tokens ----------------------------------------------------------------------------


def test_a_token_is_returned_once_and_only_its_digest_is_stored(point):
    token, plaintext = issue_token(point, "sp1-erp")
    assert plaintext.startswith(f"so_{token.prefix}_")
    secret = plaintext.removeprefix(f"so_{token.prefix}_")
    assert len(secret) >= 40
    token.refresh_from_db()
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    stored = PartnerToken.objects.filter(pk=token.pk).values().get()
    assert not any(secret in str(value) for value in stored.values())
    assert token.is_usable()


def test_tokens_of_one_partner_get_distinct_prefixes(point):
    user = service_user("sp1-erp")
    prefixes = {issue_token(point, user=user, name=f"客户端 {i}")[0].prefix for i in range(5)}
    assert len(prefixes) == 5


def test_a_service_user_without_a_profile_is_attached_to_the_partner(point):
    token, _ = issue_token(point, "new-service-user")
    assert StaffProfile.objects.get(user=token.user).org_unit == point


def test_a_token_is_refused_for_a_user_of_another_organisation(point):
    other = make_unit("D-2", OrgKind.DEALER, point.parent)
    user = service_user("other-dealer-user")
    staff_profile_set(user=user, org_unit=other)
    with pytest.raises(ValidationError) as error:
        issue_token(point, user=user)
    assert "user" in error.value.message_dict
    assert not PartnerToken.objects.exists()


def test_a_token_is_refused_for_headquarters_a_staff_user_or_a_past_expiry(point):
    hq = point.parent
    with pytest.raises(ValidationError) as error:
        issue_token(hq, "hq-robot")
    assert "org_unit" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        issue_token(point, user=service_user("admin-ish", is_staff=True))
    assert "user" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        issue_token(point, "late", expires_at=timezone.now() - timedelta(minutes=1))
    assert "expires_at" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        issue_token(point, "nameless", name="  ")
    assert "name" in error.value.message_dict


def test_revoking_a_token_is_immediate_and_idempotent(point):
    token, _ = issue_token(point, "sp1-erp")
    revoked = token_revoke(token=token)
    assert revoked.revoked_at is not None
    assert not revoked.is_usable()
    first = revoked.revoked_at
    assert token_revoke(token=token.pk).revoked_at == first


def test_staff_profile_set_creates_then_moves_a_profile(point, django_user_model):
    user = django_user_model.objects.create_user("moving")
    profile = staff_profile_set(user=user, org_unit=point, title="网点主管", phone="138")
    other = make_unit("SP-2", OrgKind.SERVICE_POINT, point.parent)
    moved = staff_profile_set(user=user, org_unit=other)
    assert moved.pk == profile.pk
    assert (moved.org_unit, moved.title, moved.phone) == (other, "网点主管", "138")
