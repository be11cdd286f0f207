from django.utils.translation import gettext_lazy as _

from service_ops import plugins


class ComplaintsConfig(plugins.PluginConfig):
    """Declares what the complaint closed loop adds to the platform in complaints/plugin.py."""

    name = "complaints"
    verbose_name = _("客诉")
