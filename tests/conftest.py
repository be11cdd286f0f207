import pytest
from django.conf import settings


def pytest_collection_modifyitems(config, items):
    """Tests that need PostgreSQL or a real Celery worker skip with a reason where the machine
    has neither, under the plain test command; under CI=true settings already refused to start."""
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set TEST_DATABASE_URL or start one)")
    skip_redis = pytest.mark.skip(reason="needs Redis for a real Celery worker")
    for item in items:
        if "postgres" in item.keywords and not settings.TESTS_ON_POSTGRES:
            item.add_marker(skip_pg)
        if "celery_worker" in item.keywords and not settings.REDIS_AVAILABLE:
            item.add_marker(skip_redis)


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """Each test starts with no cached calendar: a rolled-back test must not leak its days."""
    from service_ops.workcalendar import clock

    clock.invalidate()
    yield
    clock.invalidate()


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    from service_ops.notifications.sms import LocmemSmsBackend

    LocmemSmsBackend.outbox.clear()
    yield
