from celery import shared_task
from django.utils.translation import gettext_noop

from network.choices import Role
from network.models import OrgUnit
from network.selectors import role_holders
from service_ops.i18n import deferred
from service_ops.notifications.services import notify

from .services.orders import review_build


def review_list_build_and_tell(now=None) -> int:
    """Wednesday and Saturday mornings: the list of units not shipped within their limit, for the
    review meeting; the repair supervisor and the clerks are told. Idempotent per day."""
    meeting = review_build(now=now)
    count = meeting.items.count()
    hq = OrgUnit.objects.filter(parent__isnull=True).first()
    if hq is not None and count:
        people = role_holders(Role.REPAIR_SUPERVISOR, hq) + role_holders(Role.LOGISTICS_CLERK, hq)
        notify(
            recipients=people,
            subject=deferred(
                gettext_noop("超期评审会 %(d)s：%(n)d 台待讨论"), d=meeting.held_on, n=count
            ),
            url=meeting.get_absolute_url(),
            category="review",
            source=meeting,
        )
    return count


@shared_task(name="repairs.tasks.build_review_list")
def build_review_list() -> int:
    return review_list_build_and_tell()


@shared_task(name="repairs.tasks.send_visit_reminders")
def send_visit_reminders() -> int:
    """The day-before appointment reminders (repairs.services.field_requests)."""
    from .services.field_requests import send_visit_reminders as run

    return run()


@shared_task(name="repairs.tasks.settlement_monthly_batch")
def settlement_monthly_batch() -> int:
    """Issue 20 item 7: last month's statements of the service points (idempotent)."""
    from .services.settlement import settlement_monthly_run

    return settlement_monthly_run()


@shared_task(name="repairs.tasks.send_advance_reminders")
def send_advance_reminders() -> int:
    """Issue 22: remind holders (and their supervisors) of advances outstanding too long."""
    from .services.advances import send_advance_reminders as run

    return run()


@shared_task(name="repairs.tasks.refresh_report_rollups")
def refresh_report_rollups() -> int:
    """Issue 21: the reports' monthly roll-ups, up to today's midnight (the months still open to
    late changes rebuilt)."""
    from .services.rollups import refresh_report_rollups as run

    return run().rows
