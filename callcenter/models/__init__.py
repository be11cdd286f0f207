from .activation import ActivationCode, ActivationQuery, RegisteredNumber
from .callbacks import CallbackRequest
from .calls import FollowUp, InboundCall
from .customers import Customer

__all__ = [
    "ActivationCode",
    "ActivationQuery",
    "CallbackRequest",
    "Customer",
    "FollowUp",
    "InboundCall",
    "RegisteredNumber",
]
