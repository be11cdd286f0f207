"""The service network's part of the volume benchmark (service_ops/bench): a large department's
org tree and people, and the network's lists.

The tree: HQ → provinces → branches (operating and managed, alternating) → dealers under the
managed branches and service points under the operating ones; people with the real roles at each
unit. It leaves in `ctx.shared["network"]`, for the apps after it:

    hq: id; provinces: [{id, manager}]; branches: [{id, kind, province, manager, engineer,
    cs_supervisor}] (engineer: branch engineer of an operating branch, local engineer of a
    managed one); dealers: [{id, branch, staff, empty}] (`empty`: must stay without rows);
    people: {head_of_cs, clerk, warehouse, supervisor, technician, marketing: id,
    technicians: [ids], the main technician first}

and registers the callers the lists are timed as: hq (客服部部长 at HQ), clerk (后勤专员),
supervisor (维修主管), technician, province (省区经理), branch_engineer and branch_manager (an
operating branch), local_engineer (a managed branch), dealer (the dealer with the most rows, API
token too) and dealer_empty (a dealer with no rows, API token too).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.urls import reverse

from service_ops.bench import BenchPart, Caller, Context, Probe

from .choices import BranchKind, OrgKind, Role
from .models import OrgUnit, RoleAssignment, StaffProfile

PASSWORD = "bench-Pass-2026"  # noqa: S105 - throwaway database, printed nowhere
PROVINCES = ("广东", "湖南", "四川", "浙江", "山东", "河南", "江苏", "湖北", "福建", "河北")
CITIES = (
    "广州",
    "深圳",
    "佛山",
    "东莞",
    "珠海",
    "长沙",
    "株洲",
    "湘潭",
    "衡阳",
    "岳阳",
    "成都",
    "绵阳",
    "德阳",
    "宜宾",
    "南充",
    "杭州",
    "宁波",
    "温州",
    "嘉兴",
    "绍兴",
    "济南",
    "青岛",
    "烟台",
    "潍坊",
    "临沂",
    "郑州",
    "洛阳",
    "开封",
    "新乡",
    "南阳",
    "南京",
    "苏州",
    "无锡",
    "常州",
    "徐州",
    "武汉",
    "宜昌",
    "襄阳",
    "荆州",
    "黄石",
    "福州",
    "厦门",
    "泉州",
    "漳州",
    "莆田",
    "石家庄",
    "唐山",
    "保定",
    "邯郸",
    "沧州",
)
TECHNICIANS = 40
DEALERS_PER_MANAGED_BRANCH = 4
POINTS_PER_OPERATING_BRANCH = 2


def generate(ctx: Context) -> None:
    n_branches = ctx.scale.get("branches", 60)
    n_provinces = min(len(PROVINCES), max(1, ctx.scale.get("provinces", 6)))
    hq = OrgUnit.objects.create(code="BENCH-HQ", name="客户服务部", kind=OrgKind.HEADQUARTERS)
    provinces = [
        OrgUnit.objects.create(
            code=f"BENCH-P{p:02d}", name=f"{PROVINCES[p]}省区", kind=OrgKind.PROVINCE, parent=hq
        )
        for p in range(n_provinces)
    ]
    branches, dealers, points = [], [], []
    for b in range(n_branches):
        kind = BranchKind.OPERATING if b % 2 == 0 else BranchKind.MANAGED
        city = CITIES[b % len(CITIES)] + (str(b // len(CITIES)) if b >= len(CITIES) else "")
        branch = OrgUnit.objects.create(
            code=f"BENCH-B{b:03d}",
            name=f"{city}分公司",
            kind=OrgKind.BRANCH,
            branch_kind=kind,
            parent=provinces[b % n_provinces],
        )
        branches.append(branch)
        if kind == BranchKind.MANAGED:
            extra = 1 if b == 1 else 0  # the first managed branch also has the empty dealer
            for d in range(DEALERS_PER_MANAGED_BRANCH + extra):
                dealer = OrgUnit.objects.create(
                    code=f"BENCH-D{b:03d}-{d}",
                    name=f"{city}{'无返修' if d == DEALERS_PER_MANAGED_BRANCH else ''}"
                    f"机电设备{d + 1}号代理商",
                    kind=OrgKind.DEALER,
                    parent=branch,
                )
                dealers.append((dealer, d == DEALERS_PER_MANAGED_BRANCH))
        else:
            for s in range(POINTS_PER_OPERATING_BRANCH):
                points.append(
                    OrgUnit.objects.create(
                        code=f"BENCH-S{b:03d}-{s}",
                        name=f"{city}特约维修站{s + 1}",
                        kind=OrgKind.SERVICE_POINT,
                        parent=branch,
                    )
                )
    ctx.count("network.OrgUnit", 1 + len(provinces) + len(branches) + len(dealers) + len(points))

    people: list[tuple[str, str, OrgUnit, str]] = []  # (username, name, unit, role)

    def person(username, unit, role, name=""):
        people.append((username, name or username, unit, role))
        return username

    for role, username in (
        (Role.HEAD_OF_CS, "bench-head-cs"),
        (Role.LOGISTICS_CLERK, "bench-clerk"),
        (Role.WAREHOUSE_KEEPER, "bench-warehouse"),
        (Role.REPAIR_SUPERVISOR, "bench-repair-sup"),
        (Role.MARKETING, "bench-marketing"),
    ):
        person(username, hq, role)
    for t in range(TECHNICIANS):
        person(f"bench-tech-{t:02d}", hq, Role.TECHNICIAN)
    for p, province in enumerate(provinces):
        person(f"bench-p{p:02d}-manager", province, Role.PROVINCIAL_MANAGER)
    for b, branch in enumerate(branches):
        person(f"bench-b{b:03d}-manager", branch, Role.BRANCH_MANAGER)
        if branch.branch_kind == BranchKind.OPERATING:
            person(f"bench-b{b:03d}-engineer", branch, Role.BRANCH_ENGINEER)
            person(f"bench-b{b:03d}-cs-sup", branch, Role.FIELD_CS_SUPERVISOR)
        else:
            person(f"bench-b{b:03d}-engineer", branch, Role.LOCAL_ENGINEER)
    for dealer, _empty in dealers:
        person(f"bench-{dealer.code.lower()}", dealer, Role.DEALER_STAFF)
    for point in points:
        person(f"bench-{point.code.lower()}", point, Role.SERVICE_POINT_STAFF)

    User = get_user_model()
    password = make_password(PASSWORD)  # one hash for everyone: a hasher costs ~0.4 s a call
    users = User.objects.bulk_create(
        [
            User(username=u, first_name=name[:150], email=f"{u}@bench.invalid", password=password)
            for u, name, _unit, _role in people
        ]
    )
    ids = {user.username: user.pk for user in users}
    StaffProfile.objects.bulk_create(
        [StaffProfile(user_id=ids[u], org_unit=unit) for u, _n, unit, _r in people]
    )
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user_id=ids[u], org_unit=unit, role=role) for u, _n, unit, role in people]
    )
    ctx.count("auth.User", len(users))

    technicians = [ids[f"bench-tech-{t:02d}"] for t in range(TECHNICIANS)]
    ctx.shared["network"] = {
        "hq": hq.pk,
        "provinces": [
            {"id": p.pk, "manager": ids[f"bench-p{i:02d}-manager"]} for i, p in enumerate(provinces)
        ],
        "branches": [
            {
                "id": b.pk,
                "kind": b.branch_kind,
                "province": b.parent_id,
                "manager": ids[f"bench-b{i:03d}-manager"],
                "engineer": ids[f"bench-b{i:03d}-engineer"],
                "cs_supervisor": ids.get(f"bench-b{i:03d}-cs-sup"),
            }
            for i, b in enumerate(branches)
        ],
        "dealers": [
            {
                "id": d.pk,
                "branch": d.parent_id,
                "staff": ids[f"bench-{d.code.lower()}"],
                "empty": empty,
            }
            for d, empty in dealers
        ],
        "people": {
            "head_of_cs": ids["bench-head-cs"],
            "clerk": ids["bench-clerk"],
            "warehouse": ids["bench-warehouse"],
            "supervisor": ids["bench-repair-sup"],
            "marketing": ids["bench-marketing"],
            "technician": technicians[0],
            "technicians": technicians,
        },
    }

    first_managed = next(b for b in branches if b.branch_kind == BranchKind.MANAGED)
    rich = next(d for d, empty in dealers if d.parent_id == first_managed.pk and not empty)
    empty = next(d for d, empty in dealers if empty)
    by_name = {u.username: u for u in users}
    for key, label, username in (
        ("hq", "客服部部长 (HQ)", "bench-head-cs"),
        ("clerk", "后勤专员 (HQ)", "bench-clerk"),
        ("supervisor", "维修主管 (HQ)", "bench-repair-sup"),
        ("technician", "维修技术员", "bench-tech-00"),
        ("province", "省区经理", "bench-p00-manager"),
        ("branch_engineer", "分公司维修工程师", "bench-b000-engineer"),
        ("branch_manager", "分公司经理", "bench-b000-manager"),
        ("local_engineer", "当地维修工程师", "bench-b001-engineer"),
        ("dealer", "代理商（行最多）", f"bench-{rich.code.lower()}"),
        ("dealer_empty", "代理商（无行）", f"bench-{empty.code.lower()}"),
    ):
        ctx.callers[key] = Caller(key, label, by_name[username], password=PASSWORD)
    from .services import token_issue

    for key, unit in (("dealer", rich), ("dealer_empty", empty)):
        _token, plaintext = token_issue(
            org_unit=unit, user=by_name[ctx.callers[key].user.username], name="bench"
        )
        ctx.callers[key].token = plaintext
    ctx.facts["network_search"] = CITIES[0]
    # the network's life: point profiles, areas, evaluations; the network specialist
    from .life.bench import generate as generate_life

    generate_life(ctx, hq=hq, password_hash=password, password=PASSWORD)


def check(ctx: Context) -> list[str]:
    problems = []
    dealer = ctx.callers["dealer"].user
    if list(OrgUnit.objects.visible_to(dealer).values_list("pk", flat=True)) == []:
        problems.append("the dealer sees no org unit")
    return problems


def probes(ctx: Context) -> list[Probe]:
    units = reverse("network:org_units")
    staff = reverse("network:staff_directory")
    api = reverse("api-org-unit-list")
    city = ctx.facts["network_search"]
    marker = "BENCH-"
    out = []
    for caller in ("hq", "province"):
        out += [
            Probe("org units", caller, units, row_marker=marker, load=1 if caller == "hq" else 0),
            Probe("org units", caller, units, variant="deep", deep=True, row_marker=marker),
        ]
    out += [
        Probe("org units", "hq", f"{units}?q={city}", variant=f"q={city}", row_marker=marker),
        Probe("org units", "hq", f"{units}?kind=dealer", variant="kind=dealer", row_marker=marker),
        Probe("staff directory", "hq", staff, row_marker="bench-", load=1),
        Probe("staff directory", "hq", staff, variant="deep", deep=True, row_marker="bench-"),
        Probe("staff directory", "hq", f"{staff}?q=tech", variant="q=tech", row_marker="bench-"),
        Probe("staff directory", "branch_engineer", staff, row_marker="bench-"),
        Probe("api org-units", "hq", api, api=True, load=1),
        Probe("api org-units", "hq", api, api=True, variant="deep", deep=True),
        Probe("api org-units", "hq", f"{api}?kind=dealer", api=True, variant="kind=dealer"),
        Probe("api org-units", "dealer", api, api=True, load=1),
        Probe("api org-units", "dealer_empty", api, api=True),
    ]
    from .life.bench import probes as life_probes

    return out + life_probes(ctx)


def _not_lists() -> frozenset[str]:
    from .life.bench import NOT_LISTS

    return NOT_LISTS


BENCH = BenchPart(generate=generate, check=check, probes=probes, not_lists=_not_lists())
