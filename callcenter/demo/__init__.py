"""The call centre's demo business data (`manage.py load_demo`): each part in its own module,
called in order. Demo users are the network's (call_agent, agent2…agent6, cc_lead, head_cs …)."""

PARTS: tuple[str, ...] = (
    "callcenter.demo.shifts.load",
    "callcenter.demo.callbacks.load",
    "callcenter.demo.activation.load",
    "callcenter.demo.calls.load",
)  # dotted paths of load(*, units, users, stdout) functions


def load_demo(*, units, users, stdout=None) -> None:
    from django.utils.module_loading import import_string

    for part in PARTS:
        import_string(part)(units=units, users=users, stdout=stdout)
