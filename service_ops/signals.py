"""Signal receivers of the shared core: after `migrate`, every app's declared defaults."""

from django.db.models.signals import post_migrate
from django.dispatch import receiver


@receiver(post_migrate, dispatch_uid="service_ops.seed_plugin_defaults")
def seed_plugin_defaults(sender, app_config=None, using="default", **kwargs):
    """Once per migrate run (on the core's own signal, sent after every app has migrated): put
    each app's default deadline policies and rule rows in place. Idempotent; edited rows stay."""
    if app_config is None or app_config.label != "service_ops":
        return
    from service_ops.plugins import seed_defaults

    seed_defaults()
