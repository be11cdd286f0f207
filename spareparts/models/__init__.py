from .catalogue import Part, PartFit
from .counts import StockCount, StockCountLine
from .faulty import FaultyPartReturn
from .planning import ConsumptionMonth, ConsumptionRollup, ReorderPoint
from .quotes import DealerDiscount, DealerQuote, DealerQuoteLine
from .requests import PartRequest, PartRequestLine
from .stock import Reservation, StockBalance, StockMovement, Warehouse

__all__ = [
    "ConsumptionMonth",
    "ConsumptionRollup",
    "DealerDiscount",
    "DealerQuote",
    "DealerQuoteLine",
    "FaultyPartReturn",
    "Part",
    "PartFit",
    "PartRequest",
    "PartRequestLine",
    "ReorderPoint",
    "Reservation",
    "StockBalance",
    "StockCount",
    "StockCountLine",
    "StockMovement",
    "Warehouse",
]
