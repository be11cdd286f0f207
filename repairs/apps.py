from django.utils.translation import gettext_lazy as _

from service_ops import plugins


class RepairsConfig(plugins.PluginConfig):
    """Declares what repairs adds to the platform in repairs/plugin.py."""

    name = "repairs"
    verbose_name = _("维修")

    def ready(self):
        # Registers plugin.py's deadline handlers (the quote timeout). No threads, no I/O here.
        super().ready()
        # Collections (issue 22): a parts quote invoiced on account becomes the dealer's
        # receivable (spareparts does not import repairs; django-fsm tells us).
        from django_fsm.signals import post_transition

        from spareparts.models import DealerQuote

        from .services.collections import on_quote_transition

        post_transition.connect(
            on_quote_transition, sender=DealerQuote, dispatch_uid="repairs.collections.quote"
        )
