"""Field service demo data: settlement (called by repairs.demo.load_demo)."""


def load(*, units, users, stdout=None) -> None:
    """Nothing yet."""
