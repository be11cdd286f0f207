from rest_framework.pagination import CursorPagination, PageNumberPagination


class StandardPagination(PageNumberPagination):
    """Page numbers for small, bounded lists (org units, policies)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class KeysetPagination(CursorPagination):
    """Cursor pagination on a unique key for lists that grow to millions of rows: a keyset page
    stays ~1 ms where COUNT(*) and a deep OFFSET do not.

    The ordering is always the key: DRF's CursorPagination would otherwise take the view's
    OrderingFilter ordering (which need not be unique, and breaks the cursor) and ignores
    django-filter's ordering anyway."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"

    def get_ordering(self, request, queryset, view):
        return (self.ordering,) if isinstance(self.ordering, str) else tuple(self.ordering)
