"""The call centre's demo business data (`manage.py load_demo`): each part in its own module,
called in order. Demo users are the network's (call_agent, agent2…agent6, cc_lead, head_cs …)."""

# dotted paths of load(*, units, users, stdout) functions
PARTS: tuple[str, ...] = ("callcenter.demo.calls.load",)


def load_demo(*, units, users, stdout=None) -> None:
    from django.utils.module_loading import import_string

    for part in PARTS:
        import_string(part)(units=units, users=users, stdout=stdout)
