from django.utils.translation import gettext_lazy as _

from service_ops import plugins


class NetworkConfig(plugins.PluginConfig):
    name = "network"
    verbose_name = _("服务网络")

    def ready(self):
        super().ready()
        from django.db.models.signals import post_delete, post_save

        from .models import Delegation, RoleAssignment

        # What a request memoised of its caller's roles is stale once they change.
        for model in (RoleAssignment, Delegation):
            post_save.connect(_forget, sender=model, dispatch_uid=f"memo-{model.__name__}")
            post_delete.connect(_forget, sender=model, dispatch_uid=f"memo-del-{model.__name__}")


def _forget(**_kwargs):
    from service_ops.memo import forget

    forget()
