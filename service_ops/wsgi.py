import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "service_ops.settings")
application = get_wsgi_application()

from service_ops.gc_tuning import tune_gc  # noqa: E402 - after Django is set up

tune_gc()  # each gunicorn worker imports this module after its fork
