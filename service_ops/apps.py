from django.utils.translation import gettext_lazy as _

from service_ops import plugins


class ServiceOpsConfig(plugins.PluginConfig):
    name = "service_ops"
    verbose_name = _("平台核心")

    def ready(self):
        # Reads service_ops/plugin.py and registers signal receivers only. The in-process sweeper
        # is started by `manage.py run`, never here (ready() also runs in the reloader parent,
        # `check`, gunicorn and Celery).
        super().ready()
        from . import signals  # noqa: F401
        from .audit.context import connect

        connect()
