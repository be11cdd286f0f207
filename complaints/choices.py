"""Named choices of the complaint closed loop (客诉闭环, DESIGN §2.4, seed 004 投诉处理流程)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ComplaintState(models.TextChoices):
    ACCEPTED = "accepted", _("已受理")
    INVALID = "invalid", _("不成立（已结案）")
    INVESTIGATING = "investigating", _("调查中")
    PROPOSED = "proposed", _("方案待审批")
    SENIOR_REVIEW = "senior_review", _("待高层审批")
    APPROVED = "approved", _("方案已批准")
    IMPLEMENTING = "implementing", _("方案实施中")
    AWAITING_CUSTOMER = "awaiting_customer", _("待客户确认")
    CALLBACK = "callback", _("待回访")
    EVALUATING = "evaluating", _("待总结评价")
    CLOSED = "closed", _("已结案")


FINAL_STATES = frozenset({ComplaintState.INVALID, ComplaintState.CLOSED})
OPEN_STATES = [s for s in ComplaintState.values if s not in FINAL_STATES]


class Channel(models.TextChoices):
    CALL = "call", _("电话")
    SMS = "sms", _("短信")
    WEB = "web", _("网页")
    API = "api", _("接口")
    VISIT = "visit", _("来访")


class Category(models.TextChoices):
    PRODUCT_QUALITY = "product_quality", _("产品质量")
    SERVICE_ATTITUDE = "service_attitude", _("服务态度")
    REPAIR_TIME = "repair_time", _("维修时效")
    CHARGES = "charges", _("收费")
    PARTS = "parts", _("配件")
    OTHER = "other", _("其他")


class Severity(models.TextChoices):
    ORDINARY = "ordinary", _("一般")
    MAJOR = "major", _("重大")


class ProblemType(models.TextChoices):
    """Seed 004: 如属技术问题，交相关负责人处理；属服务问题，则服务专员/执行经理处理。"""

    TECHNICAL = "technical", _("技术问题")
    SERVICE = "service", _("服务问题")


class ApprovalLevel(models.TextChoices):
    EXECUTIVE = "executive", _("执行经理")
    SENIOR = "senior", _("公司高层")


class ApprovalDecision(models.TextChoices):
    APPROVED = "approved", _("批准")
    RETURNED = "returned", _("退回重拟")


class ActionKind(models.TextChoices):
    REPLACE_UNIT = "replace_unit", _("更换整机")
    EXTRA_SERVICE = "extra_service", _("额外服务")
    COMPENSATION = "compensation", _("经济补偿")
    SERVICE_IMPROVEMENT = "service_improvement", _("服务改进")
    PENALTY = "penalty", _("责任处罚")


class Stage(models.TextChoices):
    """The stages with a time limit (issue 18 item 3); each is a deadline policy per severity."""

    ACKNOWLEDGE = "ack", _("受理确认")
    JUDGE = "judge", _("投诉判断")
    SOLUTION = "solution", _("提出方案")
    APPROVAL = "approval", _("方案审批")
    IMPLEMENTATION = "implementation", _("方案实施")
    CALLBACK = "callback", _("回访")


class Classification(models.TextChoices):
    """《顾客投诉分类统计表》: how the closed complaint counts."""

    JUSTIFIED = "justified", _("有效投诉")
    PARTLY = "partly", _("部分有效")
    MISUNDERSTANDING = "misunderstanding", _("误解已消除")


class SeverityReason(models.TextChoices):
    CATEGORY = "category", _("投诉类别")
    AMOUNT = "amount", _("索赔金额")
    REPEAT_SERIAL = "repeat_serial", _("同一序列号重复投诉")
    REPEAT_CUSTOMER = "repeat_customer", _("同一客户重复投诉")


# --- responsibility and penalties (issue 18 item 4, seed 003 ⑦ ⑧, seed 004 实施处理方案) ---------


class PenaltyCapacity(models.TextChoices):
    """Seed 003 ⑦: 对客户投诉的主要责任人给予处罚和扣除奖金; ⑧: 对相关管理人员给予经济处罚，
    拒不配合者另给予行政或降职处罚. Seed 004: 对直接责任者和部门经理要按照有关规定进行处罚."""

    RESPONSIBLE = "responsible", _("直接责任人")
    MANAGER = "manager", _("相关管理人员")


class PenaltyKind(models.TextChoices):
    """Economic (a sum of money) and administrative penalties, as the seed names them."""

    FINE = "fine", _("罚款")
    BONUS_DEDUCTION = "bonus_deduction", _("扣除奖金")
    WARNING = "warning", _("警告")
    DEMERIT = "demerit", _("记过")
    DEMOTION = "demotion", _("降职")
    DISMISSAL = "dismissal", _("解雇")


# The economic kinds carry an amount of money; the administrative ones none.
MONEY_KINDS = frozenset({PenaltyKind.FINE.value, PenaltyKind.BONUS_DEDUCTION.value})


class PenaltyState(models.TextChoices):
    PROPOSED = "proposed", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    WAIVED = "waived", _("已免除")


PENALTY_COLOURS = {
    PenaltyState.PROPOSED: "warning",
    PenaltyState.CONFIRMED: "danger",
    PenaltyState.WAIVED: "secondary",
}


# --- product feedback to development (信息反馈, issue 18 item 5, seed 000) ------------------------


class FeedbackSource(models.TextChoices):
    COMPLAINT = "complaint", _("产品质量投诉")
    REPAIR_PATTERN = "repair_pattern", _("同型号同故障多次维修")


class FeedbackState(models.TextChoices):
    OPEN = "open", _("待开发部回复")
    ANSWERED = "answered", _("开发部已回复")
    TRACKING = "tracking", _("跟踪验证中")
    CLOSED = "closed", _("已关闭")


FEEDBACK_OPEN_STATES = (FeedbackState.OPEN, FeedbackState.ANSWERED, FeedbackState.TRACKING)
FEEDBACK_COLOURS = {
    FeedbackState.OPEN: "warning",
    FeedbackState.ANSWERED: "info",
    FeedbackState.TRACKING: "primary",
    FeedbackState.CLOSED: "success",
}
