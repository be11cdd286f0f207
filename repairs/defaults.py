"""The rule rows repairs needs to work: approval chains, the return policy, the approval-step,
repair-limit, quote and loaner time limits and the lot-limit rules. The data lives once, in the
seeding migrations; this runs their idempotent functions against the current models (after
`migrate` and after a test flushed the tables). Rows an admin edited are kept."""

import importlib

SEEDING_MIGRATIONS = (
    "repairs.migrations.0002_default_chains",
    "repairs.migrations.0004_repair_limits",
)


def seed_defaults() -> None:
    from django.apps import apps

    for name in SEEDING_MIGRATIONS:
        importlib.import_module(name).forwards(apps, None)
    # advances and expense claims (issue 22): their chains, limits and policy row
    from .services.advances import seed_money_defaults

    seed_money_defaults()
