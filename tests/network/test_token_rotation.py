"""Partner tokens (issue 16, item 1): rotation with an overlap period, and throttling per token
(each client system its own budget, at the token's own rate)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from rest_framework.test import APIClient

from network.models import PartnerToken
from tests.factories import issue_token

Z = ZoneInfo("Asia/Shanghai")
ROTATE = "/api/v1/me/token/rotate"


def client_for(plaintext: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


def test_a_rotated_token_works_through_the_overlap_and_then_stops(net):
    token, old_plain = issue_token(net.dealer, user=net.dealer_user, name="ERP")
    PartnerToken.objects.filter(pk=token.pk).update(throttle_rate="600/min")
    with time_machine.travel(datetime(2026, 12, 1, 9, tzinfo=Z), tick=False):
        response = client_for(old_plain).post(ROTATE, {"overlap_hours": 72}, format="json")
        assert response.status_code == 201, response.content
        body = response.json()
        new_plain = body["token"]
        assert body["previous"]["prefix"] == token.prefix
        assert body["previous"]["expires_at"].startswith("2026-12-04T09:00")
        assert body["prefix"] != token.prefix and body["name"] == "ERP"
        # both work during the overlap
        assert client_for(old_plain).get("/api/v1/me").status_code == 200
        assert client_for(new_plain).get("/api/v1/me").status_code == 200
        # a token rotates once
        again = client_for(old_plain).post(ROTATE, {}, format="json")
        assert again.status_code == 400 and "已轮换" in str(again.json())
    token.refresh_from_db()
    successor = token.replaced_by
    assert successor.prefix == body["prefix"] and successor.throttle_rate == "600/min"
    assert successor.org_unit == net.dealer and successor.user == net.dealer_user
    with time_machine.travel(datetime(2026, 12, 4, 9, 1, tzinfo=Z), tick=False):
        assert client_for(old_plain).get("/api/v1/me").status_code == 401
        assert client_for(new_plain).get("/api/v1/me").status_code == 200


def test_rotation_input_is_checked_and_needs_the_token_itself(client, net):
    _token, plain = issue_token(net.dealer, user=net.dealer_user, name="ERP")
    api = client_for(plain)
    bad = api.post(ROTATE, {"overlap_hours": 10_000}, format="json")
    assert bad.status_code == 400 and "overlap_hours" in bad.json()
    unknown = api.post(ROTATE, {"overlap": 1}, format="json")
    assert unknown.status_code == 400 and "overlap" in unknown.json()
    session = APIClient()
    session.force_login(net.head)
    refused = session.post(ROTATE, {}, format="json")
    assert refused.status_code == 400 and "只有合作方令牌" in str(refused.json())
    assert PartnerToken.objects.count() == 1


def test_each_token_has_its_own_budget_at_its_own_rate(net):
    first, first_plain = issue_token(net.dealer, user=net.dealer_user, name="ERP")
    second, second_plain = issue_token(net.dealer, user=net.dealer_user, name="WMS")
    PartnerToken.objects.filter(pk__in=[first.pk, second.pk]).update(throttle_rate="2/min")
    erp, wms = client_for(first_plain), client_for(second_plain)
    assert [erp.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 429]
    # the same partner's other system is not starved by the first
    assert [wms.get("/api/v1/me").status_code for _ in range(2)] == [200, 200]
    with time_machine.travel(timedelta(minutes=2)):
        assert erp.get("/api/v1/me").status_code == 200


def test_the_token_lookup_reads_what_the_orm_reads_and_a_revoked_token_stops_at_once(net):
    """The API's token lookup is one hand-written statement (network/api/authentication.py):
    the same token, user, profile and units as the ORM's select_related, a user without a
    profile included; no cache, so a revocation holds from the next request on."""
    from django.contrib.auth.models import User

    from network.api.authentication import token_with_user
    from network.models import StaffProfile
    from network.services import token_revoke

    token, plain = issue_token(net.dealer, user=net.dealer_user, name="ERP")
    found = token_with_user(token.prefix)
    orm = PartnerToken.objects.select_related("user__profile__org_unit", "org_unit").get(
        pk=token.pk
    )
    for ours, theirs in (
        (found, orm),
        (found.user, orm.user),
        (found.user.profile, orm.user.profile),
        (found.user.profile.org_unit, orm.user.profile.org_unit),
        (found.org_unit, orm.org_unit),
    ):
        assert type(ours) is type(theirs)
        fields = [f.attname for f in type(ours)._meta.concrete_fields]
        assert [getattr(ours, f) for f in fields] == [getattr(theirs, f) for f in fields]
    assert token_with_user("nosuchprefix") is None

    bare = User.objects.create_user("api-bare")
    bare_token, _plain = issue_token(net.dealer, user=bare, name="no profile")
    StaffProfile.objects.filter(user=bare).delete()  # issuing gave it one; now it has none
    read = token_with_user(bare_token.prefix)
    assert read.user == bare and not hasattr(read.user, "profile")

    api = client_for(plain)
    assert api.get("/api/v1/me").status_code == 200
    token_revoke(token=token)
    assert api.get("/api/v1/me").status_code == 401


def _budget_walk(net):
    """3 a minute: three calls, the fourth refused with Retry-After; 24 s into the next minute
    the last minute's three weigh 60 % (1.8), so one more fits and the next does not."""
    token, plain = issue_token(net.dealer, user=net.dealer_user, name="ERP")
    PartnerToken.objects.filter(pk=token.pk).update(throttle_rate="3/min")
    api = client_for(plain)
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, 10, tzinfo=Z), tick=False):
        assert [api.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 200]
        refused = api.get("/api/v1/me")
        assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 60
        assert api.get("/api/v1/me").status_code == 429  # refusals are not counted …
    with time_machine.travel(datetime(2026, 12, 1, 9, 1, 24, tzinfo=Z), tick=False):
        assert api.get("/api/v1/me").status_code == 200  # … so the window moves on
        assert api.get("/api/v1/me").status_code == 429
    with time_machine.travel(datetime(2026, 12, 1, 9, 3, 0, tzinfo=Z), tick=False):
        assert [api.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 200]


def test_the_throttle_counts_a_sliding_minute(net):
    _budget_walk(net)


def test_the_throttle_in_redis_takes_one_round_trip(net, settings, monkeypatch):
    """The production cache: INCR, EXPIRE and GET pipelined (one round trip a request)."""
    import pytest
    from django.conf import settings as django_settings
    from django.core.cache import caches
    from redis.client import Pipeline

    if not django_settings.REDIS_AVAILABLE:
        pytest.skip("needs Redis")
    from rest_framework.throttling import SimpleRateThrottle

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": django_settings.TEST_REDIS_URL,
            "KEY_PREFIX": "throttle-test",
        }
    }
    redis_cache = caches["default"]
    redis_cache.clear()
    monkeypatch.setattr(SimpleRateThrottle, "cache", redis_cache)
    trips = []
    execute = Pipeline.execute
    monkeypatch.setattr(
        Pipeline, "execute", lambda self, *a, **k: trips.append(1) or execute(self, *a, **k)
    )
    try:
        _budget_walk(net)
    finally:
        redis_cache.clear()
    assert len(trips) == 10  # one for each of the ten calls
