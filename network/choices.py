"""Named choices of the service network (one class per choice set, constants by domain name)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgKind(models.TextChoices):
    HEADQUARTERS = "headquarters", _("总部")
    PROVINCE = "province", _("省区")
    BRANCH = "branch", _("分公司")
    FIELD_OFFICE = "field_office", _("驻外办事处")
    DEALER = "dealer", _("代理商")
    SERVICE_POINT = "service_point", _("特约维修网点")


# Kinds whose people are partners: they reach the system through the portal and the API and see
# only their own organisation's records.
PARTNER_KINDS = frozenset({OrgKind.DEALER, OrgKind.SERVICE_POINT})


class BranchKind(models.TextChoices):
    OPERATING = "operating", _("经营型")
    MANAGED = "managed", _("管理型")


class Role(models.TextChoices):
    LOGISTICS_CLERK = "logistics_clerk", _("后勤专员")
    WAREHOUSE_KEEPER = "warehouse_keeper", _("仓管")
    TECHNICIAN = "technician", _("维修技术员")
    REPAIR_SUPERVISOR = "repair_supervisor", _("维修主管")
    BRANCH_ENGINEER = "branch_engineer", _("分公司维修工程师")
    LOCAL_ENGINEER = "local_engineer", _("当地维修工程师")
    FIELD_CS_SUPERVISOR = "field_cs_supervisor", _("驻外客服主管")
    BRANCH_MANAGER = "branch_manager", _("分公司经理")
    PROVINCIAL_MANAGER = "provincial_manager", _("省区经理")
    HEAD_OF_CS = "head_of_cs", _("客服部部长")
    # 公司高层 (seed 003: 情节重大的投诉由公司高层解决): signs a major complaint's solution and
    # is the last level its stage timers escalate to.
    SENIOR_MANAGEMENT = "senior_management", _("公司高层")
    CALL_AGENT = "call_agent", _("呼叫中心坐席")
    # 组长 of a call-centre shift group (seed 004): hands out the group's work, approves swaps.
    CALL_CENTRE_LEAD = "call_centre_lead", _("坐席组长")
    EXPERT_AGENT = "expert_agent", _("专家坐席")
    COMPLAINT_TEAM = "complaint_team", _("客诉小组")
    NETWORK_SPECIALIST = "network_specialist", _("网点专员")
    SUPERVISOR = "supervisor", _("主管")
    MARKETING = "marketing", _("营销中心")
    # 销售调度部: the dispatcher takes the confirmed month-end statement and settles it with
    # finance (调度员与财务协商划账); finance sees the statements and their settlement.
    SALES_DISPATCHER = "sales_dispatcher", _("销售调度员")
    FINANCE = "finance", _("财务")
    # PMC (生产及物料控制, production and material control): confirms the hand-over of returned
    # stock of 10 units or more to production for rework or disassembly.
    PMC = "pmc", _("PMC 生产计划")
    # 配件仓 (seed 000: 配件仓主管主要负责配件仓的日常管理工作及物料计划): the supervisor approves
    # stock counts and keeps the catalogue; the clerk receives, transfers and scraps parts.
    PARTS_SUPERVISOR = "parts_supervisor", _("配件仓主管")
    PARTS_CLERK = "parts_clerk", _("配件仓管员")
    # 派单员 (seed 001: 报修 → 派单): turns a service request into a dispatch to a field engineer
    # or a service point, by the dispatch rules or by hand.
    SERVICE_DISPATCHER = "service_dispatcher", _("派单员")
    DEALER_STAFF = "dealer_staff", _("代理商人员")
    SERVICE_POINT_STAFF = "service_point_staff", _("网点人员")


class LedgerEntryKind(models.TextChoices):
    TOP_UP = "top_up", _("充值")
    CHARGE = "charge", _("扣费")
    REFUND = "refund", _("退款")


# Sign of each ledger entry kind on the balance.
LEDGER_SIGN = {LedgerEntryKind.TOP_UP: 1, LedgerEntryKind.CHARGE: -1, LedgerEntryKind.REFUND: 1}


# The people of partners (dealers, service points): they see their own records only.
PARTNER_ROLES = frozenset({Role.DEALER_STAFF.value, Role.SERVICE_POINT_STAFF.value})


class PointGrade(models.TextChoices):
    """A service point's grade (网点等级), set at onboarding and by the periodic evaluation; the
    dispatch rules and the settlement fee rules read it."""

    A = "A", _("A级")
    B = "B", _("B级")
    C = "C", _("C级")
    D = "D", _("D级")


class PointStatus(models.TextChoices):
    """Where a service point stands in the network's life (网点流程)."""

    ONBOARDING = "onboarding", _("入网审核中")
    ACTIVE = "active", _("合作中")
    SUSPENDED = "suspended", _("已暂停")
    TERMINATED = "terminated", _("已终止")
