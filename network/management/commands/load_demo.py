"""`manage.py load_demo`: a believable service network with one login for every role.

Idempotent: org units are found by code, users by username, so a second run changes nothing (and
never resets a password someone changed). `--if-missing` skips the load entirely when the demo
network is already there and only prints the logins (what `make run` does on every start).

Other apps add their own demo data by naming, in their plugin.py, a function
`load_demo(*, units: dict[str, OrgUnit], users: dict[str, User], stdout) -> None` (`demo=`); it is
called after the network exists, inside the same transaction, and must be idempotent too.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from network.choices import BranchKind, LedgerEntryKind, OrgKind, Role
from network.models import (
    OrgUnit,
    PartnerToken,
    PrepaidAccount,
    PrepaidEntry,
    RoleAssignment,
    StaffProfile,
)

DEMO_PASSWORD = "demo12345"  # noqa: S105 - printed for the demo on purpose
HQ_CODE = "HQ"

# A partner API token for the demo dealer, fixed so the README can show it. Demo data only.
DEMO_TOKEN_PREFIX = "demodealer1"  # noqa: S105
DEMO_TOKEN_SECRET = "demo-only-token-for-the-local-sandbox"  # noqa: S105


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    kind: str
    parent: str | None = None
    branch_kind: str = ""
    contact: str = ""
    phone: str = ""
    address: str = ""
    gps_upgrade: bool = False


OP, MG = BranchKind.OPERATING, BranchKind.MANAGED

# fmt: off
UNITS: list[Unit] = [
    Unit(HQ_CODE, "客户服务部", OrgKind.HEADQUARTERS, None, "", "王建国", "0757-2288 6000",
         "广东省佛山市顺德区北滘镇工业大道 18 号"),
    # provinces (省区)
    Unit("P-GD", "广东省区", OrgKind.PROVINCE, HQ_CODE, "", "黄志强", "020-3886 1200",
         "广州市天河区天河路 385 号"),
    Unit("P-HN", "湖南省区", OrgKind.PROVINCE, HQ_CODE, "", "谭伟", "0731-8455 3300",
         "长沙市芙蓉区五一大道 766 号"),
    Unit("P-SC", "四川省区", OrgKind.PROVINCE, HQ_CODE, "", "杨帆", "028-8662 4500",
         "成都市锦江区红星路三段 1 号"),
    Unit("P-ZJ", "浙江省区", OrgKind.PROVINCE, HQ_CODE, "", "钱峰", "0571-8702 5600",
         "杭州市西湖区文三路 478 号"),
    # branches: operating (经营型) and managed (管理型)
    Unit("B-GZ", "广州分公司", OrgKind.BRANCH, "P-GD", OP, "林海", "020-3758 2101",
         "广州市白云区机场路 1962 号"),
    Unit("B-HZ", "杭州分公司", OrgKind.BRANCH, "P-ZJ", OP, "沈涛", "0571-8817 3102",
         "杭州市拱墅区莫干山路 972 号"),
    Unit("B-CS", "长沙分公司", OrgKind.BRANCH, "P-HN", MG, "彭亮", "0731-8523 4103",
         "长沙市雨花区韶山中路 419 号"),
    Unit("B-CD", "成都分公司", OrgKind.BRANCH, "P-SC", MG, "罗斌", "028-8533 6104",
         "成都市武侯区人民南路四段 27 号"),
    # field offices (驻外办事处)
    Unit("O-GZ-TH", "广州天河办事处", OrgKind.FIELD_OFFICE, "B-GZ", "", "邓丽", "020-3839 0711"),
    Unit("O-HZ-XS", "杭州萧山办事处", OrgKind.FIELD_OFFICE, "B-HZ", "", "朱婷", "0571-8267 0712"),
    Unit("O-CS-ZZ", "株洲办事处", OrgKind.FIELD_OFFICE, "B-CS", "", "易军", "0731-2283 0713"),
    Unit("O-CD-MY", "绵阳办事处", OrgKind.FIELD_OFFICE, "B-CD", "", "何川", "0816-222 0714"),
    # dealers (代理商) under the managed branches
    Unit("D-CS-01", "长沙湘江机电设备有限公司", OrgKind.DEALER, "B-CS", "", "胡军",
         "0731-8411 2201", "长沙市开福区芙蓉中路一段 88 号"),
    Unit("D-CS-02", "湘潭宏达商贸有限公司", OrgKind.DEALER, "B-CS", "", "匡红",
         "0731-5823 2202", "湘潭市岳塘区建设南路 56 号"),
    Unit("D-CD-01", "成都蜀通机电有限公司", OrgKind.DEALER, "B-CD", "", "刘畅",
         "028-8765 2203", "成都市金牛区蜀汉路 132 号"),
    Unit("D-CD-02", "德阳天府设备销售有限公司", OrgKind.DEALER, "B-CD", "", "苏伟",
         "0838-250 2204", "德阳市旌阳区长江西路 9 号"),
    # authorised service points (特约维修网点), some also GPS-upgrade points
    Unit("S-GZ-01", "广州白云特约维修站", OrgKind.SERVICE_POINT, "B-GZ", "", "蔡文",
         "020-8660 3301", "广州市白云区广园中路 318 号", gps_upgrade=True),
    Unit("S-GZ-02", "佛山南海特约维修站", OrgKind.SERVICE_POINT, "B-GZ", "", "陆志明",
         "0757-8628 3302", "佛山市南海区桂城南海大道北 41 号"),
    Unit("S-HZ-01", "杭州余杭特约维修站", OrgKind.SERVICE_POINT, "B-HZ", "", "方凯",
         "0571-8623 3303", "杭州市余杭区临平南大街 265 号", gps_upgrade=True),
    Unit("S-CS-01", "长沙雨花特约维修站", OrgKind.SERVICE_POINT, "B-CS", "", "龙海波",
         "0731-8557 3304", "长沙市雨花区劳动东路 139 号"),
    Unit("S-CS-02", "岳阳特约维修站", OrgKind.SERVICE_POINT, "B-CS", "", "任晓东",
         "0730-822 3305", "岳阳市岳阳楼区巴陵中路 52 号", gps_upgrade=True),
    Unit("S-CD-01", "成都武侯特约维修站", OrgKind.SERVICE_POINT, "B-CD", "", "曾德华",
         "028-8507 3306", "成都市武侯区武侯大道 200 号"),
    Unit("S-CD-02", "宜宾特约维修站", OrgKind.SERVICE_POINT, "B-CD", "", "冯雪",
         "0831-823 3307", "宜宾市翠屏区南岸西区蜀南大道 8 号"),
]
# fmt: on


@dataclass(frozen=True)
class Person:
    username: str
    name: str
    role: str
    unit: str  # where the person sits (StaffProfile) and holds the role (RoleAssignment)
    title: str
    phone: str


R = Role
PEOPLE: list[Person] = [
    # headquarters: customer-service department (客户服务部)
    Person("head_cs", "王建国", R.HEAD_OF_CS, HQ_CODE, "客服部部长", "13800138001"),
    Person("gm", "陈志远", R.SENIOR_MANAGEMENT, HQ_CODE, "常务副总经理", "13800138000"),
    Person("logistics", "李娜", R.LOGISTICS_CLERK, HQ_CODE, "后勤专员（成品仓）", "13800138002"),
    Person("warehouse", "陈刚", R.WAREHOUSE_KEEPER, HQ_CODE, "仓管", "13800138003"),
    Person("technician", "刘洋", R.TECHNICIAN, HQ_CODE, "维修技术员", "13800138004"),
    Person("repair_sup", "赵强", R.REPAIR_SUPERVISOR, HQ_CODE, "维修主管", "13800138005"),
    Person("call_agent", "孙悦", R.CALL_AGENT, HQ_CODE, "呼叫中心坐席", "13800138006"),
    Person("expert_agent", "周明", R.EXPERT_AGENT, HQ_CODE, "专家坐席", "13800138007"),
    # the rest of the call centre's three shift groups (seed 004: A/B/C, 2 each) and a lead
    Person("agent2", "李倩", R.CALL_AGENT, HQ_CODE, "呼叫中心坐席", "13800138021"),
    Person("agent3", "张伟", R.CALL_AGENT, HQ_CODE, "呼叫中心坐席", "13800138022"),
    Person("agent4", "王芳", R.CALL_AGENT, HQ_CODE, "呼叫中心坐席", "13800138023"),
    Person("agent5", "陈静", R.CALL_AGENT, HQ_CODE, "呼叫中心坐席", "13800138024"),
    Person("agent6", "赵磊", R.CALL_AGENT, HQ_CODE, "呼叫中心坐席", "13800138025"),
    Person("cc_lead", "刘婷", R.CALL_CENTRE_LEAD, HQ_CODE, "呼叫中心组长", "13800138026"),
    Person("complaints", "吴敏", R.COMPLAINT_TEAM, HQ_CODE, "客诉小组", "13800138008"),
    Person("network", "郑晓燕", R.NETWORK_SPECIALIST, HQ_CODE, "网点专员", "13800138009"),
    Person("supervisor", "冯磊", R.SUPERVISOR, HQ_CODE, "运营主管", "13800138010"),
    Person("marketing", "何静", R.MARKETING, HQ_CODE, "营销中心专员", "13800138011"),
    # sales dispatch (销售调度部) and finance settle the month-end statements of every branch
    Person("dispatcher", "马骏", R.SALES_DISPATCHER, HQ_CODE, "销售调度部调度员", "13800138012"),
    Person("finance", "高雅", R.FINANCE, HQ_CODE, "财务部会计", "13800138013"),
    Person("pmc", "曾伟", R.PMC, HQ_CODE, "PMC 生产计划", "13800138014"),
    # the parts warehouse (配件仓): its supervisor approves counts, the clerk moves the stock
    Person("parts_sup", "梁振勇", R.PARTS_SUPERVISOR, HQ_CODE, "配件仓主管", "13800138015"),
    Person("parts_clerk", "苏敏", R.PARTS_CLERK, HQ_CODE, "配件仓管员", "13800138016"),
    # field service (seed 001): the dispatcher turns service requests into dispatches
    Person("field_dispatch", "韩雪", R.SERVICE_DISPATCHER, HQ_CODE, "派单员", "13800138017"),
    # provincial managers (省区经理)
    Person("gd_manager", "黄志强", R.PROVINCIAL_MANAGER, "P-GD", "广东省区经理", "13900139001"),
    Person("hn_manager", "谭伟", R.PROVINCIAL_MANAGER, "P-HN", "湖南省区经理", "13900139002"),
    Person("sc_manager", "杨帆", R.PROVINCIAL_MANAGER, "P-SC", "四川省区经理", "13900139003"),
    Person("zj_manager", "钱峰", R.PROVINCIAL_MANAGER, "P-ZJ", "浙江省区经理", "13900139004"),
    # branch managers (分公司经理)
    Person("gz_manager", "林海", R.BRANCH_MANAGER, "B-GZ", "广州分公司经理", "13700137001"),
    Person("hz_manager", "沈涛", R.BRANCH_MANAGER, "B-HZ", "杭州分公司经理", "13700137002"),
    Person("cs_manager", "彭亮", R.BRANCH_MANAGER, "B-CS", "长沙分公司经理", "13700137003"),
    Person("cd_manager", "罗斌", R.BRANCH_MANAGER, "B-CD", "成都分公司经理", "13700137004"),
    # operating branches: branch repair engineer submits, field CS supervisor confirms
    Person("gz_engineer", "梁超", R.BRANCH_ENGINEER, "B-GZ", "分公司维修工程师", "13600136001"),
    Person("gz_cs_sup", "邓丽", R.FIELD_CS_SUPERVISOR, "B-GZ", "驻外客服主管", "13600136002"),
    Person("hz_engineer", "徐斌", R.BRANCH_ENGINEER, "B-HZ", "分公司维修工程师", "13600136003"),
    Person("hz_cs_sup", "朱婷", R.FIELD_CS_SUPERVISOR, "B-HZ", "驻外客服主管", "13600136004"),
    # managed branches: the local repair engineer confirms a dealer's application
    Person("cs_engineer", "曾勇", R.LOCAL_ENGINEER, "B-CS", "当地维修工程师", "13500135001"),
    Person("cd_engineer", "邱杰", R.LOCAL_ENGINEER, "B-CD", "当地维修工程师", "13500135002"),
    # partners: a dealer and a service point (portal and API; see only their own records)
    Person("cs_dealer", "胡军", R.DEALER_STAFF, "D-CS-01", "代理商售后专员", "13300133001"),
    Person("cd_dealer", "刘畅", R.DEALER_STAFF, "D-CD-01", "代理商售后专员", "13300133002"),
    Person("gz_point", "蔡文", R.SERVICE_POINT_STAFF, "S-GZ-01", "网点站长", "13300133003"),
]

PREPAID_OPENING = Decimal("5000.00")
ACTIVATION_CODE_FEE = Decimal("30.00")


class Command(BaseCommand):
    help = (
        "Load demo data: a service network (HQ, provinces, branches, offices, dealers, service "
        f"points), one login per role (password {DEMO_PASSWORD}), calendar years and default "
        "deadline policies. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="Skip loading when the demo network already exists; just print the logins.",
        )
        parser.add_argument("--quiet", action="store_true", help="Do not print the logins.")

    def handle(self, *args, if_missing=False, quiet=False, **options):
        started = timezone.now()
        User = get_user_model()
        loaded = (
            OrgUnit.objects.filter(code=HQ_CODE).exists()
            and User.objects.filter(username="admin").exists()
        )
        if if_missing and loaded:
            self.stdout.write("Demo data already loaded (manage.py load_demo to top it up).")
        else:
            with transaction.atomic():
                created = load(stdout=self.stdout)
            seconds = (timezone.now() - started).total_seconds()
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo data ready in {seconds:.1f} s ({created['units']} org units and "
                    f"{created['users']} users new)."
                )
            )
        if not quiet:
            self.stdout.write(logins_table())


# --- the load itself ---------------------------------------------------------------------------


def load(*, stdout=None) -> dict[str, int]:
    from service_ops.workcalendar.services import calendar_seed_year

    year = timezone.localdate().year
    for y in (year - 1, year, year + 1):
        calendar_seed_year(y)
    units, new_units = _units()
    users, new_users = _users(units)
    _prepaid(units, users)
    _demo_token(units, users)
    _app_demo_hooks(units=units, users=users, stdout=stdout)
    return {"units": new_units, "users": new_users}


def _units() -> tuple[dict[str, OrgUnit], int]:
    units: dict[str, OrgUnit] = {}
    created = 0
    for spec in UNITS:
        unit, was_created = OrgUnit.objects.get_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "kind": spec.kind,
                "branch_kind": spec.branch_kind,
                "parent": units[spec.parent] if spec.parent else None,
                "contact_name": spec.contact,
                "phone": spec.phone,
                "address": spec.address,
                "gps_upgrade": spec.gps_upgrade,
            },
        )
        units[spec.code] = unit
        created += was_created
    return units, created


def _users(units: dict[str, OrgUnit]):
    from network.services import staff_profile_set

    User = get_user_model()
    # One hash for every demo login: a password hasher costs ~0.4 s a call, 30 calls would be 12 s.
    password = make_password(DEMO_PASSWORD)
    users = {}
    created = 0
    admin, was_created = User.objects.get_or_create(
        username="admin",
        defaults={
            "first_name": "系统管理员",
            "email": "admin@example.com",
            "is_staff": True,
            "is_superuser": True,
            "password": password,
        },
    )
    created += was_created
    if was_created:
        staff_profile_set(user=admin, org_unit=units[HQ_CODE], title="系统管理员")
    users["admin"] = admin
    for person in PEOPLE:
        user, was_created = User.objects.get_or_create(
            username=person.username,
            defaults={
                "first_name": person.name,
                "email": f"{person.username}@example.com",
                "password": password,
            },
        )
        created += was_created
        if was_created or not StaffProfile.objects.filter(user=user).exists():
            staff_profile_set(
                user=user, org_unit=units[person.unit], title=person.title, phone=person.phone
            )
        RoleAssignment.objects.get_or_create(
            user=user, role=person.role, org_unit=units[person.unit]
        )
        users[person.username] = user
    return users, created


def _prepaid(units: dict[str, OrgUnit], users) -> None:
    """Opening top-up and one activation-code charge for each dealer and service point; only for
    accounts that have no entries yet."""
    try:
        from network.services import prepaid_post
    except ImportError:  # pragma: no cover - the service arrives with the network slice
        prepaid_post = _post_directly
    clerk = users.get("network")
    for code, unit in units.items():
        if unit.kind not in (OrgKind.DEALER, OrgKind.SERVICE_POINT):
            continue
        if PrepaidEntry.objects.filter(account__org_unit=unit).exists():
            continue
        prepaid_post(
            org_unit=unit,
            kind=LedgerEntryKind.TOP_UP,
            amount=PREPAID_OPENING,
            actor=clerk,
            reference=f"CZ-{code}-001",
            note="期初预存款（演示数据）",
        )
        prepaid_post(
            org_unit=unit,
            kind=LedgerEntryKind.CHARGE,
            amount=ACTIVATION_CODE_FEE,
            actor=clerk,
            reference=f"JH-{code}-001",
            note="激活码查询费（演示数据）",
        )


def _post_directly(*, org_unit, kind, amount, actor=None, reference="", note=""):
    from network.choices import LEDGER_SIGN

    account, _created = PrepaidAccount.objects.select_for_update().get_or_create(org_unit=org_unit)
    account.balance += LEDGER_SIGN[kind] * amount
    account.save(update_fields=["balance", "updated_at"])
    return PrepaidEntry.objects.create(
        account=account,
        kind=kind,
        amount=amount,
        balance_after=account.balance,
        reference=reference,
        note=note,
        created_by=actor,
    )


def _demo_token(units: dict[str, OrgUnit], users) -> None:
    from network.api.authentication import digest_of

    PartnerToken.objects.get_or_create(
        prefix=DEMO_TOKEN_PREFIX,
        defaults={
            "org_unit": units["D-CS-01"],
            "user": users["cs_dealer"],
            "name": "演示：长沙湘江机电 ERP 对接",
            "digest": digest_of(DEMO_TOKEN_SECRET),
        },
    )


def demo_token() -> str:
    from network.api.authentication import format_token

    return format_token(DEMO_TOKEN_PREFIX, DEMO_TOKEN_SECRET)


def _app_demo_hooks(*, units, users, stdout) -> None:
    """Each app's demo business data, as declared in its plugin.py (`demo`)."""
    from service_ops.plugins import load_demo as load_app_demo

    load_app_demo(units=units, users=users, stdout=stdout)


# --- the logins --------------------------------------------------------------------------------


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def logins_table() -> str:
    rows = [("admin", "超级管理员 superuser", "客户服务部（/admin/）")]
    names = dict(Role.choices)
    unit_names = {u.code: u.name for u in UNITS}
    for person in PEOPLE:
        rows.append(
            (person.username, f"{names[person.role]} {person.role}", unit_names[person.unit])
        )
    header = ("login", "role 角色", "org unit 组织")
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(3)]
    line = "  ".join("-" * w for w in widths)
    out = [
        "",
        f"Demo logins — every password is {DEMO_PASSWORD}  (演示账号，密码均为 {DEMO_PASSWORD})",
        line,
        "  ".join(_pad(h, w) for h, w in zip(header, widths, strict=True)).rstrip(),
        line,
    ]
    out += ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    out += [
        line,
        f"Partner API token of 长沙湘江机电 (cs_dealer): Authorization: Bearer {demo_token()}",
        "",
    ]
    return "\n".join(out)
