from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from service_ops.i18n import render


class Channel(models.TextChoices):
    IN_APP = "in_app", _("站内")
    EMAIL = "email", _("邮件")
    SMS = "sms", _("短信")


class Notification(models.Model):
    """The outbox: one row per recipient and channel, written in the same transaction as the change
    that caused it. In-app rows are delivered by existing; e-mail and SMS rows are sent by the
    sender task (nudged on commit, and again by the beat schedule for whatever is still unsent)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    category = models.CharField(_("类别"), max_length=24, default="system")
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(max_length=300, blank=True)
    # What the system wrote, as msgids and parameters ({"s": subject, "b": body}, see
    # service_ops.i18n), rendered in the reader's language; subject and body keep the zh-hans
    # text for search, e-mail and SMS. NULL for text typed by a person.
    texts = models.JSONField(null=True, blank=True, editable=False)
    urgent = models.BooleanField(_("紧急"), default=False)
    digest = models.BooleanField(_("进入每日汇总"), default=False)
    source_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    # 待办 (asks for an action on its source, the task) or 知会 (for information). An action row
    # is done when its task is done, by whoever did it: see notifications.services.tasks_done.
    needs_action = models.BooleanField(_("待办"), default=False)
    task_state = models.CharField(max_length=32, blank=True, editable=False)
    done_at = models.DateTimeField(_("已办结"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    send_after = models.DateTimeField(_("发送时间不早于"), default=timezone.now)
    sent_at = models.DateTimeField(_("已发送"), null=True, blank=True)
    read_at = models.DateTimeField(_("已读"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["send_after"],
                name="notification_unsent",
                condition=Q(sent_at__isnull=True) & ~Q(channel="in_app"),
            ),
            models.Index(
                fields=["recipient", "created_at"],
                name="notification_inbox_open",
                condition=Q(channel="in_app", read_at__isnull=True, done_at__isnull=True),
            ),
            models.Index(
                fields=["source_type", "source_id"],
                name="notification_open_tasks",
                condition=Q(needs_action=True, done_at__isnull=True),
            ),
            # the inbox: a keyset page of one person's in-app rows, newest first by id
            models.Index(fields=["recipient", "channel", "-id"], name="notification_inbox_keyset"),
            # its 待办 and 知会 tabs and their badges: open tasks, notices and unread notices
            # are few beside a person's history (a head of service: 450 open of 190,000)
            models.Index(
                fields=["recipient", "-id"],
                name="notification_open_actions",
                condition=Q(channel="in_app", needs_action=True, done_at__isnull=True),
            ),
            models.Index(
                fields=["recipient", "-id"],
                name="notification_info",
                condition=Q(channel="in_app", needs_action=False),
            ),
            models.Index(
                fields=["recipient"],
                name="notification_unread_info",
                condition=Q(channel="in_app", needs_action=False, read_at__isnull=True),
            ),
        ]

    def __str__(self):
        return self.subject

    @property
    def subject_text(self) -> str:
        """The subject in the reader's (the active) language."""
        return render(self.subject, (self.texts or {}).get("s"))

    @property
    def body_text(self) -> str:
        return render(self.body, (self.texts or {}).get("b"))

    @property
    def is_unread(self) -> bool:
        return self.read_at is None and self.done_at is None


class OutboundSms(models.Model):
    """An SMS to a phone number that is nobody's account (a customer, a service point's
    registered number): written in the transaction of the change that causes it, sent by the same
    sender as the notification rows, so a rolled-back change sends nothing and a gateway failure
    after the commit is retried instead of lost."""

    phone = models.CharField(_("手机号码"), max_length=40)
    text = models.TextField(_("短信内容"))
    category = models.CharField(_("类别"), max_length=24, default="system")
    source_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    send_after = models.DateTimeField(_("发送时间不早于"), default=timezone.now)
    sent_at = models.DateTimeField(_("已发送"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("外发短信")
        verbose_name_plural = _("外发短信")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["send_after", "id"],
                name="outboundsms_unsent",
                condition=Q(sent_at__isnull=True),
            ),
            models.Index(fields=["source_type", "source_id"], name="outboundsms_source"),
        ]

    def __str__(self):
        return f"{self.phone}: {self.text[:30]}"
