from .activation import ActivationCode, ActivationQuery, RegisteredNumber
from .callbacks import CallbackAttempt, CallbackRequest, CallbackRules
from .customers import Customer
from .installations import Installation

__all__ = [
    "ActivationCode",
    "ActivationQuery",
    "CallbackAttempt",
    "CallbackRequest",
    "CallbackRules",
    "Customer",
    "Installation",
    "RegisteredNumber",
]
