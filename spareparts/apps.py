from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SparepartsConfig(AppConfig):
    name = "spareparts"
    verbose_name = _("配件")
