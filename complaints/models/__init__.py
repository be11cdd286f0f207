from .complaints import (
    Complaint,
    ComplaintAction,
    ComplaintApproval,
    ComplaintAttachment,
    ComplaintRules,
    SolutionOption,
)
from .feedback import FeedbackNote, FeedbackRules, ProductFeedback
from .penalties import ComplaintPenalty

__all__ = [
    "Complaint",
    "ComplaintAction",
    "ComplaintApproval",
    "ComplaintAttachment",
    "ComplaintPenalty",
    "ComplaintRules",
    "FeedbackNote",
    "FeedbackRules",
    "ProductFeedback",
    "SolutionOption",
]
