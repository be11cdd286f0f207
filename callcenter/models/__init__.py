from .activation import ActivationCode, ActivationQuery, RegisteredNumber
from .callbacks import CallbackRequest
from .customers import Customer
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
    "CallbackRequest",
    "Customer",
    "HandOver",
    "LeaveRequest",
    "RegisteredNumber",
    "RosterEntry",
    "ShiftGroup",
    "ShiftMember",
    "ShiftRules",
    "ShiftSwap",
]
