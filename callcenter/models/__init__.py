from .activation import ActivationCode, ActivationQuery, RegisteredNumber
from .callbacks import CallbackRequest

__all__ = ["ActivationCode", "ActivationQuery", "CallbackRequest", "RegisteredNumber"]
