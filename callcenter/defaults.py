"""Rule rows the call centre needs to work (seeded after migrate and after a test flush)."""


def seed_defaults() -> None:
    from .models import CallbackRules

    CallbackRules.current()
