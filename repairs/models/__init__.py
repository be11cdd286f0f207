from .penalties import (
    HappyFundEntry,
    Penalty,
    ReturnedStockApplication,
    ReturnPolicy,
    UnauthorisedArrival,
)
from .returns import (
    ApprovalChainTemplate,
    ApprovalStep,
    ApprovalStepTemplate,
    Discrepancy,
    ReceivedUnit,
    ReturnApplication,
    ReturnAttachment,
    ReturnLine,
)

__all__ = [
    "ApprovalChainTemplate",
    "ApprovalStep",
    "ApprovalStepTemplate",
    "Discrepancy",
    "HappyFundEntry",
    "Penalty",
    "ReceivedUnit",
    "ReturnApplication",
    "ReturnAttachment",
    "ReturnLine",
    "ReturnPolicy",
    "ReturnedStockApplication",
    "UnauthorisedArrival",
]
