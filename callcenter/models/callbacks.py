from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CallbackRequest(models.Model):
    """A callback (回访) the call centre owes: created by other processes (a shipped repair, a
    closed complaint) through the `request_callback` hook (callcenter/hooks.py). Its promise is a
    `callcenter.callback` timer of the deadline engine (owner = this row); the call-centre
    workflow turns these into worked callback tasks."""

    subject_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    purpose = models.CharField(_("回访目的"), max_length=40)
    contact_name = models.CharField(_("联系人"), max_length=60, blank=True)
    # normal form (callcenter.phones): the caller's history finds the callbacks of a number
    contact_phone = models.CharField(_("电话"), max_length=40, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("回访请求")
        verbose_name_plural = _("回访请求")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "purpose"],
                name="callbackrequest_once_per_purpose",
            ),
        ]

    def __str__(self):
        return f"{self.purpose} {self.contact_name}"

    @property
    def deadline(self):
        from service_ops.deadlines.services import open_deadlines_of

        from ..plugin import CALLBACK_KIND

        return open_deadlines_of(self, kind=CALLBACK_KIND).first()

    @property
    def due_at(self):
        deadline = self.deadline
        return deadline.due_at if deadline else None
