"""A background export of one report: who asked, which report with which parameters, its state
(queued → running → done | failed), its progress and the file it produced."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition


class ExportState(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class ExportJobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A person sees the exports they asked for or were sent (a scheduled report);
        headquarters sees all of them."""
        from network.visibility import sees_everything

        if sees_everything(user):
            return self.all()
        shared = ExportJob.shared_with.through.objects.filter(user_id=user.pk)
        return self.filter(Q(requester=user) | Q(pk__in=shared.values("exportjob_id")))


class ExportJob(models.Model):
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    report = models.CharField(_("报表"), max_length=80)
    params = models.JSONField(_("条件"), default=dict, blank=True)
    # user ids that may download besides the requester (the recipients of a mailed report)
    shared_with = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", editable=False
    )
    mailing = models.CharField(max_length=80, blank=True, editable=False)
    state = FSMField(
        _("状态"),
        max_length=10,
        choices=ExportState.choices,
        default=ExportState.QUEUED,
        protected=True,
    )
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    file = models.FileField(_("文件"), upload_to="exports/%Y/%m/", blank=True, max_length=200)
    error = models.CharField(_("错误"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("报表导出")
        verbose_name_plural = _("报表导出")
        ordering = ["-id"]
        constraints = [
            # a mailing ("name@day") is queued once, however many sweepers run that morning
            models.UniqueConstraint(
                fields=["mailing"], condition=~Q(mailing=""), name="exportjob_mailing_once"
            ),
        ]
        indexes = [
            models.Index(fields=["requester", "-id"], name="exportjob_requester"),
            models.Index(fields=["id"], name="exportjob_queued", condition=Q(state="queued")),
            models.Index(
                fields=["finished_at"],
                name="exportjob_finished",
                condition=Q(state__in=["done", "failed"]),
            ),
        ]

    def __str__(self):
        return f"{self.report} #{self.pk}"

    @transition(field=state, source=ExportState.QUEUED, target=ExportState.RUNNING)
    def start(self):
        self.started_at = timezone.now()
        self.progress = 0

    @transition(field=state, source=ExportState.RUNNING, target=ExportState.DONE)
    def finish(self, *, name: str, content, rows: int):
        self.file.save(name, content, save=False)
        self.rows = rows
        self.progress = 100
        self.finished_at = timezone.now()

    @transition(
        field=state, source=[ExportState.QUEUED, ExportState.RUNNING], target=ExportState.FAILED
    )
    def fail(self, *, error: str):
        self.error = error[:300]
        self.finished_at = timezone.now()

    @property
    def is_open(self) -> bool:
        return self.state in (ExportState.QUEUED, ExportState.RUNNING)
