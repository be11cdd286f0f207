from .activation import ActivationCode, ActivationQuery, RegisteredNumber
from .callbacks import CallbackRequest
from .customers import Customer

__all__ = ["ActivationCode", "ActivationQuery", "CallbackRequest", "Customer", "RegisteredNumber"]
