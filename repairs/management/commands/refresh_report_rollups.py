"""manage.py refresh_report_rollups [--full]: the reports' monthly roll-ups now (the nightly job
`refresh-report-rollups` does the same); --full rebuilds every month."""

from django.core.management.base import BaseCommand

from repairs.services.rollups import refresh_report_rollups


class Command(BaseCommand):
    help = "Refresh the repairs reports' monthly roll-ups (technicians, field visits, turnaround)."

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="rebuild every month")

    def handle(self, *args, **opts):
        state = refresh_report_rollups(full=opts["full"])
        self.stdout.write(
            f"rolled up until {state.rolled_until:%Y-%m-%d %H:%M %Z}: {state.rows} rows "
            f"in {state.seconds:.1f} s"
        )
