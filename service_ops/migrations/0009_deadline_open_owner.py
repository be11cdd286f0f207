"""Open timers by owner, for the boards and queues that rank thousands of units by them: a
partial covering index (open rows only, a few tenths of a percent of the table at a year's
volume) and, on PostgreSQL, statistics on (owner type, kind, status) together. Without them
the planner multiplies three selectivities that are far from independent — almost every timer
of a quote kind is closed — estimates one open quote timer where there are 1,889, and picks a
nested loop that took 1.3 s on the supervisor's queue. Measured with `make bench-web`."""

from django.conf import settings
from django.db import migrations, models


def statistics(create: bool):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        if create:
            schema_editor.execute(
                "CREATE STATISTICS IF NOT EXISTS deadline_owner_kind_status (mcv) "
                "ON owner_type_id, kind, status FROM service_ops_deadline"
            )
        else:
            schema_editor.execute("DROP STATISTICS IF EXISTS deadline_owner_kind_status")

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("network", "0002_partner_token_kinds"),
        ("service_ops", "0008_inbox_tab_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="deadline",
            index=models.Index(
                condition=models.Q(("status__in", ["running", "paused", "breached"])),
                fields=["owner_type", "owner_id"],
                include=("kind", "status", "due_at"),
                name="deadline_open_owner",
            ),
        ),
        migrations.RunPython(statistics(True), statistics(False)),
    ]
