import os

import pytest
from django.conf import settings

# The API fuzz test's seed and its generated cases per operation and identity
# (tests/core/test_api_fuzz.py): fixed, so CI runs the same cases every time; raise them locally.
FUZZ_SEED = int(os.environ.get("FUZZ_SEED", "20260516"))
FUZZ_MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "25"))


def pytest_report_header(config):
    """Printed at the top of every run, so a fuzz failure in CI can be replayed."""
    return f"API fuzz (-m fuzz): FUZZ_SEED={FUZZ_SEED} FUZZ_MAX_EXAMPLES={FUZZ_MAX_EXAMPLES}"


def pytest_collection_modifyitems(config, items):
    """Tests that need PostgreSQL, a real Celery worker or a browser skip with a reason where the
    machine lacks it, under the plain test command; under CI=true settings already refused to
    start."""
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set TEST_DATABASE_URL or start one)")
    skip_redis = pytest.mark.skip(reason="needs Redis for a real Celery worker")
    skip_browser = pytest.mark.skip(reason=f"browser journey: {settings.BROWSER_MISSING}")
    for item in items:
        if "browser" in item.keywords and settings.BROWSER_MISSING:
            item.add_marker(skip_browser)
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
def _no_ranking_cache(monkeypatch):
    """The year-end ranking is cached by the last receipt's id; rolled-back tests reuse ids."""
    from repairs.selectors import returns

    monkeypatch.setattr(returns, "RANKING_CACHE_SECONDS", 0)


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    from service_ops.notifications.sms import LocmemSmsBackend

    LocmemSmsBackend.outbox.clear()
    yield


# --- a small service network with one person per role ----------------------------------------
class Net:
    """Named org units and people of the test network (attributes set by the fixture)."""


def _restore_seeded_defaults():
    """Transactional tests flush every table, migration-seeded rows included: put every app's
    declared defaults back (chains, policies, limit rules; idempotent)."""
    from service_ops.plugins import seed_defaults

    seed_defaults()


@pytest.fixture
def net(db):
    """HQ → 广东省区 → 广州分公司 (operating) and 湖南省区 → 长沙分公司 (managed) → 湘江代理商,
    a second dealer 株洲代理商, and people holding every role the return process needs."""
    return build_net()


def build_net() -> Net:
    """The `net` fixture's network, for fixtures of a wider scope (tests/core/test_api_fuzz.py)."""
    from network.choices import BranchKind, OrgKind
    from network.choices import Role as R
    from network.models import OrgUnit
    from tests.factories import make_user

    def person(username, unit, *roles):
        return make_user(username, unit, *roles, email=True)

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

    n.head = person("head", n.hq, R.HEAD_OF_CS)
    n.clerk = person("clerk", n.hq, R.LOGISTICS_CLERK)
    n.keeper = person("keeper", n.hq, R.WAREHOUSE_KEEPER)
    n.tech = person("tech", n.hq, R.TECHNICIAN)
    n.repair_sup = person("repair_sup", n.hq, R.REPAIR_SUPERVISOR)
    n.marketing = person("marketing", n.hq, R.MARKETING)
    n.gz_engineer = person("gz_engineer", n.gz, R.BRANCH_ENGINEER)
    n.gz_cs_sup = person("gz_cs_sup", n.gz, R.FIELD_CS_SUPERVISOR)
    n.gz_manager = person("gz_manager", n.gz, R.BRANCH_MANAGER)
    n.cs_engineer = person("cs_engineer", n.cs, R.LOCAL_ENGINEER)
    n.cs_manager = person("cs_manager", n.cs, R.BRANCH_MANAGER)
    n.hn_manager = person("hn_manager", n.hn, R.PROVINCIAL_MANAGER)
    n.gd_manager = person("gd_manager", n.gd, R.PROVINCIAL_MANAGER)
    n.dealer_user = person("dealer_user", n.dealer, R.DEALER_STAFF)
    n.dealer2_user = person("dealer2_user", n.dealer2, R.DEALER_STAFF)

    # Most tests walk a unit across the bench in one frozen instant: no burn-in minimum for
    # them. tests/repairs/test_packing.py pins the minimum at its default.
    from repairs.models import ReturnPolicy

    ReturnPolicy.objects.update_or_create(
        pk=ReturnPolicy.current().pk, defaults={"burn_in_minimum_hours": 0}
    )
    return n


@pytest.fixture(autouse=True)
def _empty_cache():
    """The cache is per process (LocMem): a test must not see another's login failures or
    throttle counts."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _fresh_menu_cache():
    """The menu bar's rendered HTML is kept per process; a test that changes URLs or menu
    declarations must not meet a bar rendered before it."""
    from service_ops.templatetags import service_ops_tags

    service_ops_tags._MENU_HTML.clear()
    yield
