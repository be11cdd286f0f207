from .activation import ActivationCode, ActivationQuery, RegisteredNumber
from .callbacks import CallbackAttempt, CallbackRequest, CallbackRules
from .calls import FollowUp, InboundCall
from .codes import ActivationCodeImport
from .customers import Customer
from .installations import Installation
from .prepaid import PrepaidTopUp
from .shifts import (
    HandOver,
    LeaveRequest,
    RosterEntry,
    ShiftGroup,
    ShiftMember,
    ShiftRules,
    ShiftSwap,
)

__all__ = [
    "ActivationCode",
    "ActivationCodeImport",
    "ActivationQuery",
    "CallbackAttempt",
    "CallbackRequest",
    "CallbackRules",
    "Customer",
    "FollowUp",
    "HandOver",
    "InboundCall",
    "Installation",
    "LeaveRequest",
    "PrepaidTopUp",
    "RegisteredNumber",
    "RosterEntry",
    "ShiftGroup",
    "ShiftMember",
    "ShiftRules",
    "ShiftSwap",
]
