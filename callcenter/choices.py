from django.db import models
from django.utils.translation import gettext_lazy as _


class ActivationOutcome(models.TextChoices):
    """What became of one activation-code query (激活码查询) received by SMS."""

    ANSWERED = "answered", _("已回复激活码")
    INSUFFICIENT_BALANCE = "insufficient_balance", _("余额不足")
    UNKNOWN_SENDER = "unknown_sender", _("未登记号码")
    INCOMPLETE = "incomplete", _("格式不完整")
    NO_SUCH_CODE = "no_such_code", _("无此激活码")


class CallCategory(models.TextChoices):
    """What an inbound call (来电) is about (DESIGN §2.3, the seed's 呼入流程)."""

    POLICY = "policy", _("政策咨询")
    TECHNICAL = "technical", _("技术问题")
    QUALITY = "quality", _("产品质量问题")
    COMPLAINT = "complaint", _("投诉")
    ACTIVATION = "activation", _("激活码")
    ORDER = "order", _("订单/配件")
    OTHER = "other", _("其他")


class CallOutcome(models.TextChoices):
    """What the agent did with the call: answered on the call (现场解答); a follow-up — the right
    person found, the customer called back later (稍后回复); handed to the expert seat or the
    complaint team (整理、汇总并移交); transferred to a field office (办事处转线解答)."""

    ANSWERED = "answered", _("现场解答")
    FOLLOW_UP = "follow_up", _("需跟进回复")
    EXPERT = "expert", _("移交专家坐席")
    COMPLAINT_TEAM = "complaint_team", _("移交客诉小组")
    TRANSFERRED = "transferred", _("转办事处")


CallOutcome.colours = {
    CallOutcome.ANSWERED: "success",
    CallOutcome.FOLLOW_UP: "warning",
    CallOutcome.EXPERT: "info",
    CallOutcome.COMPLAINT_TEAM: "danger",
    CallOutcome.TRANSFERRED: "secondary",
}
# The outcomes that hand the call over to someone who must take it (接手).
HANDOVER_OUTCOMES = (CallOutcome.EXPERT, CallOutcome.COMPLAINT_TEAM, CallOutcome.TRANSFERRED)


class CallerKind(models.TextChoices):
    """Who the caller was found to be, by their number."""

    CUSTOMER = "customer", _("客户")
    DEALER = "dealer", _("代理商")
    SERVICE_POINT = "service_point", _("特约维修网点")
    FIELD_OFFICE = "field_office", _("驻外办事处")
    ORG_UNIT = "org_unit", _("公司单位")
    STAFF = "staff", _("公司员工")
    UNKNOWN = "unknown", _("未识别")


class FollowUpState(models.TextChoices):
    """A follow-up (跟进事项): open (the right person still to be found) → assigned (they owe a
    reply) → answered (the agent owes the customer a call back) → called back → closed; or
    cancelled. Waiting until a date is a pause of its timer, not a state."""

    OPEN = "open", _("待分派")
    ASSIGNED = "assigned", _("待回复")
    ANSWERED = "answered", _("待回电")
    CALLED_BACK = "called_back", _("已回电")
    CLOSED = "closed", _("已关闭")
    CANCELLED = "cancelled", _("已取消")


FollowUpState.colours = {
    FollowUpState.OPEN: "primary",
    FollowUpState.ASSIGNED: "warning",
    FollowUpState.ANSWERED: "info",
    FollowUpState.CALLED_BACK: "success",
    FollowUpState.CLOSED: "secondary",
    FollowUpState.CANCELLED: "secondary",
}
# The states in which somebody holds the ball (我的工作, the timers).
OPEN_FOLLOW_UP_STATES = (
    FollowUpState.OPEN,
    FollowUpState.ASSIGNED,
    FollowUpState.ANSWERED,
    FollowUpState.CALLED_BACK,
)


def colour_of(choices, value) -> str:
    return getattr(choices, "colours", {}).get(value, "secondary")
