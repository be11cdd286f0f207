"""`manage.py run`: the embedded shape in one process.

The development web server (runserver, with static files from node_modules) plus the in-process
deadline sweeper. With no REDIS_URL, Celery tasks run eagerly in-process, so nothing else needs to
be running. Default address 127.0.0.1:8000; `manage.py run 0.0.0.0:8000` to listen on the network.
"""

from django.contrib.staticfiles.management.commands.runserver import (
    Command as StaticfilesRunserverCommand,
)

from service_ops import embedded


class Command(StaticfilesRunserverCommand):
    help = (
        "Start the embedded shape: the web server and the in-process deadline sweeper "
        "(SQLite, tasks in-process). Use gunicorn, a Celery worker and beat in production."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--no-sweeper",
            action="store_false",
            dest="sweeper",
            help="Do not start the in-process sweeper (e.g. when Celery beat runs it).",
        )

    def inner_run(self, *args, **options):
        # runserver's autoreloader parent only watches files and restarts its child; it never calls
        # inner_run. So the sweeper starts here, in the process that serves requests, once per
        # (re)start of that process.
        if options.get("sweeper", True):
            sweeper = embedded.start_sweeper()
            self.stdout.write(
                f"In-process deadline sweeper: every {sweeper.interval:g} s "
                "(deadlines, notification outbox, daily digests)."
            )
        super().inner_run(*args, **options)
