from .complaints import (
    Complaint,
    ComplaintAction,
    ComplaintApproval,
    ComplaintAttachment,
    ComplaintRules,
    SolutionOption,
)

__all__ = [
    "Complaint",
    "ComplaintAction",
    "ComplaintApproval",
    "ComplaintAttachment",
    "ComplaintRules",
    "SolutionOption",
]
