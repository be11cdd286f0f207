"""The shared core's models, gathered so Django finds them in the `service_ops` app."""

from .dashboards.models import (  # noqa: F401
    SlaDailyCount,
    SlaDailyPersonCount,
    SlaOpenCount,
    SlaRefresh,
)
from .deadlines.models import (  # noqa: F401
    Deadline,
    DeadlineAction,
    DeadlineLog,
    DeadlinePause,
    DeadlinePolicy,
)
from .idempotency.models import IdempotentRequest  # noqa: F401
from .notifications.models import Notification  # noqa: F401
from .numbering.models import DocumentSequence  # noqa: F401
from .reports.models import ExportJob  # noqa: F401
from .transitions.models import TransitionLog  # noqa: F401
from .webhooks.models import WebhookDelivery, WebhookEndpoint  # noqa: F401
from .workcalendar.models import (  # noqa: F401
    CalendarChange,
    CalendarDay,
    CalendarVersion,
    CalendarYear,
)
