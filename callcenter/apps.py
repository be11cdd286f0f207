from django.utils.translation import gettext_lazy as _

from service_ops import plugins


class CallcenterConfig(plugins.PluginConfig):
    """Declares what the call centre adds to the platform in callcenter/plugin.py."""

    name = "callcenter"
    verbose_name = _("呼叫中心")
