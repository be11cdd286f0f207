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
def _default_language():
    """Every test starts in the default language (zh-hans): a test that switches to English must
    not leak it into the next test of the same thread."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    from service_ops.notifications.sms import LocmemSmsBackend

    LocmemSmsBackend.outbox.clear()
    yield


# --- a small service network with one person per role ----------------------------------------
class Net:
    """Named org units and people of the test network (attributes set by the fixture)."""


def make_user(username, unit, *roles, role_unit=None, email=True, **profile):
    from django.contrib.auth import get_user_model

    from network.models import RoleAssignment, StaffProfile

    user = get_user_model().objects.create_user(
        username=username, password="pw-12345", email=f"{username}@example.com" if email else ""
    )
    StaffProfile.objects.create(user=user, org_unit=unit, **profile)
    for role in roles:
        RoleAssignment.objects.create(user=user, role=role, org_unit=role_unit or unit)
    return user


def _restore_seeded_defaults():
    """Transactional tests flush every table, migration-seeded rows included: put every app's
    declared defaults back (chains, policies, limit rules; idempotent)."""
    from service_ops.plugins import seed_defaults

    seed_defaults()


@pytest.fixture
def net(db):
    """HQ → 广东省区 → 广州分公司 (operating) and 湖南省区 → 长沙分公司 (managed) → 湘江代理商,
    a second dealer 株洲代理商, and people holding every role the return process needs."""
    from network.choices import BranchKind, OrgKind
    from network.choices import Role as R
    from network.models import OrgUnit

    _restore_seeded_defaults()
    n = Net()

    def unit(code, name, kind, parent=None, **kw):
        return OrgUnit.objects.create(code=code, name=name, kind=kind, parent=parent, **kw)

    n.hq = unit("HQ", "客户服务部", OrgKind.HEADQUARTERS)
    n.gd = unit("GD", "广东省区", OrgKind.PROVINCE, n.hq)
    n.hn = unit("HN", "湖南省区", OrgKind.PROVINCE, n.hq)
    n.gz = unit("GZ", "广州分公司", OrgKind.BRANCH, n.gd, branch_kind=BranchKind.OPERATING)
    n.cs = unit("CS", "长沙分公司", OrgKind.BRANCH, n.hn, branch_kind=BranchKind.MANAGED)
    n.dealer = unit("D-XJ", "湘江代理商", OrgKind.DEALER, n.cs)
    n.dealer2 = unit("D-ZZ", "株洲代理商", OrgKind.DEALER, n.cs)
    n.point = unit("SP-1", "天河特约维修网点", OrgKind.SERVICE_POINT, n.gz)

    n.head = make_user("head", n.hq, R.HEAD_OF_CS)
    n.clerk = make_user("clerk", n.hq, R.LOGISTICS_CLERK)
    n.keeper = make_user("keeper", n.hq, R.WAREHOUSE_KEEPER)
    n.tech = make_user("tech", n.hq, R.TECHNICIAN)
    n.repair_sup = make_user("repair_sup", n.hq, R.REPAIR_SUPERVISOR)
    n.marketing = make_user("marketing", n.hq, R.MARKETING)
    n.gz_engineer = make_user("gz_engineer", n.gz, R.BRANCH_ENGINEER)
    n.gz_cs_sup = make_user("gz_cs_sup", n.gz, R.FIELD_CS_SUPERVISOR)
    n.gz_manager = make_user("gz_manager", n.gz, R.BRANCH_MANAGER)
    n.cs_engineer = make_user("cs_engineer", n.cs, R.LOCAL_ENGINEER)
    n.cs_manager = make_user("cs_manager", n.cs, R.BRANCH_MANAGER)
    n.hn_manager = make_user("hn_manager", n.hn, R.PROVINCIAL_MANAGER)
    n.gd_manager = make_user("gd_manager", n.gd, R.PROVINCIAL_MANAGER)
    n.dealer_user = make_user("dealer_user", n.dealer, R.DEALER_STAFF)
    n.dealer2_user = make_user("dealer2_user", n.dealer2, R.DEALER_STAFF)
    return n
