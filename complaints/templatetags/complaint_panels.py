"""The complaint page's panels of the penalties and the product feedback (issue 18 items 4, 5),
as inclusion tags so the closed loop's view needs no change: `{% penalty_panel complaint %}`."""

from django import template

from .. import permissions as perms
from ..selectors import feedback as feedback_sel
from ..selectors import penalties as penalty_sel
from ..services.penalties import PROPOSABLE_STATES

register = template.Library()


@register.inclusion_tag("complaints/_penalty_panel.html", takes_context=True)
def penalty_panel(context, complaint):
    user = context["request"].user
    return {
        "complaint": complaint,
        "penalties": penalty_sel.penalties_of_complaint(user, complaint),
        "may_propose": complaint.state in PROPOSABLE_STATES
        and perms.may_propose_penalty(complaint, user),
    }


@register.inclusion_tag("complaints/_feedback_panel.html", takes_context=True)
def feedback_panel(context, complaint):
    user = context["request"].user
    return {"feedback_items": feedback_sel.feedback_of_complaint(user, complaint)}
