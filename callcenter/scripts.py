"""The callback script (回访话术), seed 004's 回访规范及用语 adapted to a manufacturer's customer
service: opening; the question of the purpose; the satisfied branch (ask for suggestions) and the
not satisfied / 一般 branch (ask what, apologise); the closing of each branch. Shown on the call
screen, filled with the task's own data."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .choices import CallbackPurpose

RULE = _(
    "回访规范：一个避免，三个必保——避免在客户休息时打扰客户；必须保证百分之百回访；必须保证回访信息"
    "完整记录；必须保证在三天之内回访（最好在电话中与客户再约一个方便的时间）。"
)
OPENING = _("您好，我是客户服务部的客服人员，请问您是%(name)s先生/女士吗？打扰您了。")
QUESTIONS = {
    CallbackPurpose.REPAIR_SHIPPED: _(
        "您送修的%(model)s（出厂编号 %(serial)s）已维修完毕并发回，请问现在使用正常吗？"
        "您对这次维修服务满意吗？"
    ),
    CallbackPurpose.COMPLAINT_RESOLVED: _(
        "关于您之前反映的问题，我们已经处理完毕，请问您对处理结果满意吗？"
    ),
    CallbackPurpose.FIELD_VISIT: _(
        "我们的工程师已上门为您服务，请问问题解决了吗？您对工程师的服务满意吗？"
    ),
    CallbackPurpose.SUPERVISOR_LIST: _("请问您对我们的产品和服务还满意吗？"),
    CallbackPurpose.DISSATISFIED: _(
        "上次回访时您反映的问题，我们已转交相关部门处理，请问现在问题解决了吗？您对处理结果满意吗？"
    ),
}
INSTALL_QUESTION = _(
    "您的%(model)s安装已有一段时间，请问使用情况如何？您对我们的产品和安装服务满意吗？"
)
SATISFIED = _("您对我们的服务有什么建议吗？")
NOT_SATISFIED = _("能否告诉我您对哪方面不满意吗？我们应改进哪方面的工作？")
CLOSING_SATISFIED = _(
    "感谢您的答复，您如果需要什么帮助，可随时跟我们取得联系，祝您生活愉快，再见！"
)
CLOSING_NOT_SATISFIED = _(
    "非常感谢您的反映，这一点我们的确做得不够，我们很快就会改进，希望您监督，祝您生活愉快，再见！"
)


@dataclass
class Script:
    rule: str
    opening: str
    question: str
    satisfied: str
    not_satisfied: str
    closing_satisfied: str
    closing_not_satisfied: str


def _fill(text, params: dict) -> str:
    try:
        return str(text) % params
    except (KeyError, ValueError, TypeError):
        return str(text)


def script_for(task, subject=None) -> Script:
    """The script of a task's purpose, in the active language, with the customer's name and the
    product filled in (a blank stays a blank: the agent says it)."""
    params = {
        "name": (task.contact_name or (task.customer.name if task.customer_id else "")) or "××",
        "model": getattr(subject, "product_model", "") or "",
        "serial": getattr(subject, "serial_number", "") or "—",
    }
    question = QUESTIONS.get(task.purpose)
    if question is None:
        question = (
            INSTALL_QUESTION
            if task.purpose.startswith("install_")
            else QUESTIONS[CallbackPurpose.SUPERVISOR_LIST]
        )
    return Script(
        rule=str(RULE),
        opening=_fill(OPENING, params),
        question=_fill(question, params),
        satisfied=str(SATISFIED),
        not_satisfied=str(NOT_SATISFIED),
        closing_satisfied=str(CLOSING_SATISFIED),
        closing_not_satisfied=str(CLOSING_NOT_SATISFIED),
    )
