from .activation import ActivationCode, ActivationQuery, RegisteredNumber
from .callbacks import CallbackRequest
from .customers import Customer
from .prepaid import PrepaidTopUp

__all__ = [
    "ActivationCode",
    "ActivationQuery",
    "CallbackRequest",
    "Customer",
    "PrepaidTopUp",
    "RegisteredNumber",
]
