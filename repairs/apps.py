from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RepairsConfig(AppConfig):
    name = "repairs"
    verbose_name = _("维修")

    def ready(self):
        # Registers the receipt hook (receiving opens repair orders) and the quote-timeout
        # deadline handler. No threads, no I/O here.
        from .services import orders  # noqa: F401
