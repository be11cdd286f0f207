from django.utils.translation import gettext_lazy as _

from service_ops import plugins


class SparepartsConfig(plugins.PluginConfig):
    """Declares what the spare parts add to the platform in spareparts/plugin.py."""

    name = "spareparts"
    verbose_name = _("配件")
