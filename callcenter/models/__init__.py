from .activation import ActivationCode, ActivationQuery, RegisteredNumber
from .callbacks import CallbackAttempt, CallbackRequest, CallbackRules
from .customers import Customer
from .installations import Installation
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
    "ActivationQuery",
    "CallbackAttempt",
    "CallbackRequest",
    "CallbackRules",
    "Customer",
    "HandOver",
    "Installation",
    "LeaveRequest",
    "RegisteredNumber",
    "RosterEntry",
    "ShiftGroup",
    "ShiftMember",
    "ShiftRules",
    "ShiftSwap",
]
