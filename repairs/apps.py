from django.utils.translation import gettext_lazy as _

from service_ops import plugins


class RepairsConfig(plugins.PluginConfig):
    """Declares what repairs adds to the platform in repairs/plugin.py."""

    name = "repairs"
    verbose_name = _("维修")

    def ready(self):
        # Registers plugin.py's deadline handlers (the quote timeout). No threads, no I/O here.
        super().ready()
