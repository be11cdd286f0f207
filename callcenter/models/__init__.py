from .activation import ActivationCode, ActivationQuery, RegisteredNumber
from .callbacks import CallbackRequest
from .codes import ActivationCodeImport
from .customers import Customer
from .prepaid import PrepaidTopUp

__all__ = [
    "ActivationCode",
    "ActivationCodeImport",
    "ActivationQuery",
    "CallbackRequest",
    "Customer",
    "PrepaidTopUp",
    "RegisteredNumber",
]
