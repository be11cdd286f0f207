from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceOpsConfig(AppConfig):
    name = "service_ops"
    verbose_name = _("平台核心")

    def ready(self):
        # Registers signal receivers only. The in-process sweeper is started by `manage.py run`,
        # never here (ready() also runs in the reloader parent, `check`, gunicorn and Celery).
        from . import signals  # noqa: F401
