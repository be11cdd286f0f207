from .catalogue import Part, PartFit
from .counts import StockCount, StockCountLine
from .stock import Reservation, StockBalance, StockMovement, Warehouse

__all__ = [
    "Part",
    "PartFit",
    "Reservation",
    "StockBalance",
    "StockCount",
    "StockCountLine",
    "StockMovement",
    "Warehouse",
]
