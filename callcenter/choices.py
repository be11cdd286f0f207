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
        return cls.__dict__.get("colours", {}).get(value, "secondary")


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
