"""Admin of the parts. The catalogue and the warehouses are master data edited here too (the
catalogue's pages and import are the everyday way); the ledger, the balances, the reservations
and the counts are records owned by their services and only read."""

from django.contrib import admin

from service_ops.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import (
    DealerDiscount,
    Part,
    PartFit,
    ReorderPoint,
    Reservation,
    StockBalance,
    StockCount,
    StockCountLine,
    StockMovement,
    Warehouse,
)


class PartFitInline(admin.TabularInline):
    model = PartFit
    extra = 1


@admin.register(Part)
class PartAdmin(admin.ModelAdmin):
    list_display = ["number", "name_zh", "unit", "list_price", "cost", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["number", "name_zh", "name_en"]
    inlines = [PartFitInline]


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "org_unit", "engineer", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "org_unit__name"]
    autocomplete_fields = ["org_unit"]
    raw_id_fields = ["engineer"]


@admin.register(StockBalance)
class StockBalanceAdmin(ReadOnlyAdmin):
    list_display = ["part", "warehouse", "on_hand", "reserved", "updated_at"]
    list_select_related = ["part", "warehouse"]
    search_fields = ["part__number"]


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "kind",
        "part",
        "warehouse",
        "on_hand_change",
        "reserved_change",
        "on_hand_after",
        "actor",
        "reason",
    ]
    list_filter = ["kind"]
    list_select_related = ["part", "warehouse", "actor"]
    search_fields = ["part__number", "reason", "source_label"]


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "part", "warehouse", "quantity", "state"]
    list_filter = ["state"]


class StockCountLineInline(ReadOnlyInline):
    model = StockCountLine
    readonly_fields = ["part", "expected", "counted"]


@admin.register(StockCount)
class StockCountAdmin(ReadOnlyAdmin):
    list_display = ["number", "warehouse", "state", "created_at", "decided_at"]
    list_filter = ["state"]
    inlines = [StockCountLineInline]


@admin.register(DealerDiscount)
class DealerDiscountAdmin(admin.ModelAdmin):
    list_display = ("dealer", "percent")
    autocomplete_fields = ()


@admin.register(ReorderPoint)
class ReorderPointAdmin(admin.ModelAdmin):
    list_display = ("part", "warehouse", "minimum", "reorder_quantity")
    list_select_related = ("part", "warehouse")
    raw_id_fields = ("part",)
