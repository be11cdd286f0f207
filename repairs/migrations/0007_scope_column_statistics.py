"""Finer planner statistics for the columns every list is scoped by.

A list is `WHERE dealer_id IN (…) ORDER BY id LIMIT n`. With PostgreSQL's default statistics
target (100), only the 100 most common dealers are in the column's MCV list; a dealer outside it
(a small one, or one with no rows at all) is estimated at the average, so the planner walks the
primary key expecting to meet its rows soon and reads the whole table (0.5 s for a dealer with no
rows among 600,000 approval steps). At 1000 every branch and dealer of a large network is in the
list and a dealer with no rows is estimated at none: the plan starts from the dealer's index.
Measured with `make bench-web`. PostgreSQL only; takes effect at the next ANALYZE.
"""

from django.db import migrations

SCOPED_COLUMNS = [
    ("repairs_returnapplication", "branch_id"),
    ("repairs_returnapplication", "dealer_id"),
    ("repairs_repairorder", "branch_id"),
    ("repairs_repairorder", "dealer_id"),
    ("repairs_repairorder", "technician_id"),
]


def set_statistics(target):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table, column in SCOPED_COLUMNS:
            schema_editor.execute(
                f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET STATISTICS {target}'
            )

    return run


class Migration(migrations.Migration):
    dependencies = [("repairs", "0006_quote_sent_index")]

    operations = [migrations.RunPython(set_statistics(1000), set_statistics(-1))]
