from .catalogue import Part, PartFit
from .counts import StockCount, StockCountLine
from .faulty import FaultyPartReturn
from .stock import Reservation, StockBalance, StockMovement, Warehouse

__all__ = [
    "FaultyPartReturn",
    "Part",
    "PartFit",
    "Reservation",
    "StockBalance",
    "StockCount",
    "StockCountLine",
    "StockMovement",
    "Warehouse",
]
