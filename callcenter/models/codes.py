"""One Excel file of activation codes imported from the browser (激活码导入): the file is stored,
a worker imports it in batches that each commit, and the page shows how far it has got
(rows done of the sheet's rows) and, at the end, the row-by-row report."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from service_ops.i18n import Deferred


class ActivationCodeImport(models.Model):
    file = models.FileField(_("文件"), upload_to="activation-codes/%Y/%m/")
    file_name = models.CharField(_("文件名"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # the last batch's commit
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    rows_total = models.PositiveIntegerField(_("总行数（估计）"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("已处理行数"), default=0)
    created = models.PositiveIntegerField(_("新增"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    error_count = models.PositiveIntegerField(_("错误行数"), default=0)
    # [[row number, deferred reason as a dict], …]: the first ERRORS_KEPT, shown in the
    # reader's language
    errors = models.JSONField(default=list, blank=True)
    failure = models.JSONField(null=True, blank=True)  # a deferred text: the file was refused

    class Meta:
        verbose_name = _("激活码导入")
        verbose_name_plural = _("激活码导入")
        ordering = ["-id"]
        indexes = [
            # the sweep's look for imports nobody is running (a lost nudge, a killed worker)
            models.Index(
                fields=["heartbeat_at"],
                name="codeimport_unfinished",
                condition=models.Q(finished_at__isnull=True),
            ),
        ]

    def __str__(self):
        return self.file_name

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)

    def error_rows(self) -> list[tuple[int, Deferred]]:
        return [(row, Deferred.from_dict(reason)) for row, reason in self.errors or []]

    def failure_text(self) -> str:
        return str(Deferred.from_dict(self.failure)) if self.failure else ""
