"""Named choices of return applications and repairs."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Platform(models.TextChoices):
    """The approval platform follows the kind of branch the unit comes from (DESIGN §2.1)."""

    OPERATING = "operating", _("经营平台")
    MANAGED = "managed", _("管理平台")


class ApplicationState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    IN_APPROVAL = "in_approval", _("审批中")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")
    APPROVED = "approved", _("已批准")
    PICKUP_BOOKED = "pickup_booked", _("已约提货")
    PICKED_UP = "picked_up", _("已提货")
    RECEIVED = "received", _("已收货")
    CLOSED = "closed", _("已关闭")


# Badge colours for list pages (Bootstrap contextual names).
APPLICATION_STATE_COLOURS = {
    ApplicationState.DRAFT: "secondary",
    ApplicationState.IN_APPROVAL: "primary",
    ApplicationState.REJECTED: "danger",
    ApplicationState.WITHDRAWN: "dark",
    ApplicationState.APPROVED: "success",
    ApplicationState.PICKUP_BOOKED: "info",
    ApplicationState.PICKED_UP: "info",
    ApplicationState.RECEIVED: "warning",
    ApplicationState.CLOSED: "light",
}


class StepState(models.TextChoices):
    WAITING = "waiting", _("未开始")
    PENDING = "pending", _("待签")
    APPROVED = "approved", _("已同意")
    REJECTED = "rejected", _("已驳回")
    CANCELLED = "cancelled", _("已取消")


class HolderScope(models.TextChoices):
    """Where a step's holder is looked up from the application's org (the role's holder at that
    unit, else at its nearest ancestor that has one)."""

    BRANCH = "branch", _("申请所属分公司")
    PROVINCE = "province", _("分公司所属省区")
    HEADQUARTERS = "headquarters", _("总部")
    APPLICANT_UNIT = "applicant_unit", _("申请单位本身")


class ShippingMethod(models.TextChoices):
    LOGISTICS = "logistics", _("物流")
    EXPRESS = "express", _("快递")
    COMPANY_TRUCK = "company_truck", _("公司车辆提货")
    SELF_DELIVERY = "self_delivery", _("自送")


class FreightTerms(models.TextChoices):
    PREPAID = "prepaid", _("运费发货方自付")
    COLLECT = "collect", _("到付")


class DiscrepancyKind(models.TextChoices):
    COUNT_MISMATCH = "count_mismatch", _("提货数量不符")
    MISSING_UNIT = "missing_unit", _("缺少机器")
    EXTRA_UNIT = "extra_unit", _("多出机器")
    WRONG_MODEL = "wrong_model", _("型号不符")
    WRONG_SERIAL = "wrong_serial", _("序列号不符")


class ArrivalState(models.TextChoices):
    REFUSED = "refused", _("已拒收")
    PENALTIES_CONFIRMED = "penalties_confirmed", _("罚款已确认")


class PenaltyKind(models.TextChoices):
    FINE = "fine", _("罚款（元）")
    POINTS = "points", _("绩效扣分")


class PenaltyState(models.TextChoices):
    PROPOSED = "proposed", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    WAIVED = "waived", _("已免除")


class ReturnedStockRoute(models.TextChoices):
    PMC = "pmc", _("PMC 安排生产部返工或分拆")
    REPAIR_TEAM = "repair_team", _("客服部维修组返工或分拆")


class ReturnedStockState(models.TextChoices):
    ROUTED = "routed", _("已分派")
    IN_PROCESS = "in_process", _("处理中")
    DONE = "done", _("已完成")
