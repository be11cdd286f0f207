from django.utils.translation import gettext_lazy as _

from service_ops import plugins


class RepairsConfig(plugins.PluginConfig):
    """Declares what repairs adds to the platform in repairs/plugin.py."""

    name = "repairs"
    verbose_name = _("维修")

    def ready(self):
        super().ready()
        # Registers the receipt hook (receiving opens repair orders) and the quote-timeout
        # deadline handler. No threads, no I/O here.
        from .services import orders  # noqa: F401
