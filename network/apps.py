from django.utils.translation import gettext_lazy as _

from service_ops import plugins


class NetworkConfig(plugins.PluginConfig):
    name = "network"
    verbose_name = _("服务网络")
