from django.db import models
from django.utils.translation import gettext_lazy as _


class ActivationOutcome(models.TextChoices):
    """What became of one activation-code query (激活码查询) received by SMS."""

    ANSWERED = "answered", _("已回复激活码")
    INSUFFICIENT_BALANCE = "insufficient_balance", _("余额不足")
    UNKNOWN_SENDER = "unknown_sender", _("未登记号码")
    INCOMPLETE = "incomplete", _("格式不完整")
    NO_SUCH_CODE = "no_such_code", _("无此激活码")


class StateChoices(models.TextChoices):
    """A state choice set; `colours` maps its values to Bootstrap contextual names."""

    @classmethod
    def colour_of(cls, value) -> str:
        return colour_of(cls, value)


class CallbackState(StateChoices):
    """A callback task (回访任务): in the pool, with an agent, then closed one of three ways."""

    PENDING = "pending", _("待回访")
    ASSIGNED = "assigned", _("已分配")
    DONE = "done", _("已回访")
    UNREACHED = "unreached", _("未联系上")
    CANCELLED = "cancelled", _("已取消")


CallbackState.colours = {
    CallbackState.PENDING: "warning",
    CallbackState.ASSIGNED: "primary",
    CallbackState.DONE: "success",
    CallbackState.UNREACHED: "secondary",
    CallbackState.CANCELLED: "light",
}


OPEN_CALLBACK_STATES = (CallbackState.PENDING, CallbackState.ASSIGNED)


class CallbackPurpose(models.TextChoices):
    """Why the customer is called (回访目的): the system creates the first five kinds, supervisors
    the lists, and a dissatisfied answer the second callback."""

    REPAIR_SHIPPED = "repair_shipped", _("返修机发回回访")
    COMPLAINT_RESOLVED = "complaint_resolved", _("客诉处理回访")
    FIELD_VISIT = "field_visit", _("上门服务回访")
    INSTALL_1W = "install_1w", _("安装后一周回访")
    INSTALL_1M = "install_1m", _("安装后一个月回访")
    INSTALL_3M = "install_3m", _("安装后三个月回访")
    INSTALL_6M = "install_6m", _("安装后半年回访")
    INSTALL_12M = "install_12m", _("安装后一年回访")
    SUPERVISOR_LIST = "supervisor_list", _("专项回访")
    DISSATISFIED = "dissatisfied", _("不满意二次回访")


# Installed customers are called at 1 week, 1, 3, 6 and 12 months (seed 001: 按周、一个月、三个月、
# 半年和一年及时进行回访): (purpose, days after installation).
INSTALL_MILESTONES = (
    (CallbackPurpose.INSTALL_1W, 7),
    (CallbackPurpose.INSTALL_1M, 30),
    (CallbackPurpose.INSTALL_3M, 91),
    (CallbackPurpose.INSTALL_6M, 182),
    (CallbackPurpose.INSTALL_12M, 365),
)


class CallResult(models.TextChoices):
    """The call result of one attempt (呼叫结果), kept apart from the business result."""

    REACHED = "reached", _("已接通")
    NO_ANSWER = "no_answer", _("无人接听")
    BUSY = "busy", _("占线")
    WRONG_NUMBER = "wrong_number", _("号码错误")
    REFUSED = "refused", _("拒绝回访")


# Not reached but worth another try later; the other two end the task at once.
RETRY_RESULTS = (CallResult.NO_ANSWER, CallResult.BUSY)


class CloseReason(models.TextChoices):
    """Why a task closed other than with a survey."""

    ATTEMPTS_EXHAUSTED = "attempts_exhausted", _("多次未接通")
    WRONG_NUMBER = "wrong_number", _("号码错误")
    REFUSED = "refused", _("客户拒绝回访")
    RECENTLY_SURVEYED = "recently_surveyed", _("近期已回访，免打扰")
    NO_PHONE = "no_phone", _("无联系电话")
    CANCELLED = "cancelled", _("主管取消")


class Satisfaction(models.IntegerChoices):
    """The customer's answer, 1–5 (the seed's 满意 / 一般 / 不满意, finer)."""

    VERY_DISSATISFIED = 1, _("非常不满意")
    DISSATISFIED = 2, _("不满意")
    NEUTRAL = 3, _("一般")
    SATISFIED = 4, _("满意")
    VERY_SATISFIED = 5, _("非常满意")


class QueryChannel(models.TextChoices):
    """How an activation-code query arrived: an SMS pushed by the gateway, or a service point's
    own system through the partner API."""

    SMS = "sms", _("短信")
    API = "api", _("接口")


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
    """The Bootstrap contextual name of a value of a choice set with `colours`."""
    return getattr(choices, "colours", {}).get(value, "secondary")
