"""The parts catalogue (配件目录): one row per part number, the product models it fits as rows of
their own (filtered by model, indexed). Written by spareparts.services.catalogue (forms and the
Excel import); the cost is company-internal and never shown to partners."""

from decimal import Decimal

from django.core.validators import FileExtensionValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

PICTURE_SUFFIXES = ["jpg", "jpeg", "png", "webp"]


class PartQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def search(self, text: str):
        """A part number's beginning, or a word of either name."""
        text = (text or "").strip()
        if not text:
            return self
        return self.filter(
            Q(number__istartswith=text) | Q(name_zh__icontains=text) | Q(name_en__icontains=text)
        )

    def fitting(self, product_model: str):
        product_model = (product_model or "").strip()
        if not product_model:
            return self
        return self.filter(
            pk__in=PartFit.objects.filter(product_model__iexact=product_model).values("part_id")
        )


class Part(models.Model):
    number = models.CharField(_("配件编号"), max_length=40, unique=True)
    name_zh = models.CharField(_("名称"), max_length=120)
    name_en = models.CharField(_("英文名称"), max_length=120, blank=True)
    unit = models.CharField(_("单位"), max_length=12, default="个")
    list_price = models.DecimalField(
        _("销售价"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    cost = models.DecimalField(
        _("成本价"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    reorder_level = models.PositiveIntegerField(
        _("安全库存"),
        default=0,
        help_text=_("可用数量不高于此数时显示“库存紧张”"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    # a serialised part (主板, 模块) carries its own serial: a warranty replacement records the
    # faulty part's serial and the new one's, and the faulty part is owed back (旧件返还)
    serialised = models.BooleanField(
        _("有序列号"), default=False, help_text=_("保修更换时须登记旧件和新件的序列号")
    )
    picture = models.FileField(
        _("图片"),
        upload_to="parts/%Y/%m/",
        blank=True,
        validators=[FileExtensionValidator(PICTURE_SUFFIXES)],
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = PartQuerySet.as_manager()

    class Meta:
        verbose_name = _("配件")
        verbose_name_plural = _("配件")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                name="part_prices_not_negative", condition=Q(list_price__gte=0) & Q(cost__gte=0)
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.name}"

    @property
    def name(self) -> str:
        """The name in the reader's language (the Chinese one when no English name is given)."""
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name_zh

    def fits_list(self) -> list[str]:
        cached = getattr(self, "_prefetched_objects_cache", {}).get("fits")
        rows = cached if cached is not None else self.fits.all()
        return sorted(fit.product_model for fit in rows)


class PartFit(models.Model):
    """A product model a part fits (适用型号)."""

    part = models.ForeignKey(Part, on_delete=models.CASCADE, related_name="fits")
    product_model = models.CharField(_("适用型号"), max_length=60)

    class Meta:
        verbose_name = _("适用型号")
        verbose_name_plural = _("适用型号")
        constraints = [
            models.UniqueConstraint(fields=["part", "product_model"], name="partfit_unique")
        ]
        indexes = [models.Index(fields=["product_model"], name="partfit_model")]

    def __str__(self):
        return self.product_model
