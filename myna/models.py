"""The dashboard's tables: the daily registration summary, imported usage figures, KPIs.

The summary is what the pages read: one row per date, branch, kind and age band (47 × 3 × 8
rows per date), refreshed by a periodic task from the eligibility records, so a page view
never scans the members (myna.services.refresh_summary).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from eligibility.models import EligibilityRecord

#: Age bands as of the summary date: 0 = 0–9歳 … 7 = 70–74歳 (members leave at 75).
AGE_BANDS: tuple[str, ...] = (
    "0～9歳",
    "10～19歳",
    "20～29歳",
    "30～39歳",
    "40～49歳",
    "50～59歳",
    "60～69歳",
    "70～74歳",
)


class RegistrationSummary(models.Model):
    """Members current on `as_of` and those of them registered for マイナ保険証 that day."""

    as_of = models.DateField(_("基準日"))
    branch = models.ForeignKey("core.Branch", verbose_name=_("支部"), on_delete=models.PROTECT)
    kind = models.CharField(_("資格区分"), max_length=10, choices=EligibilityRecord.Kind.choices)
    age_band = models.PositiveSmallIntegerField(_("年代"), choices=list(enumerate(AGE_BANDS)))
    members = models.PositiveIntegerField(_("加入者数"))
    registered = models.PositiveIntegerField(_("利用登録者数"))

    class Meta:
        verbose_name = _("利用登録集計")
        verbose_name_plural = _("利用登録集計")
        constraints = [
            models.UniqueConstraint(
                fields=["as_of", "branch", "kind", "age_band"], name="myna_summary_unique"
            )
        ]
        indexes = [models.Index(fields=["branch", "as_of"], name="myna_summary_branch")]

    def __str__(self) -> str:
        return f"{self.as_of} {self.branch_id} {self.kind} {self.age_band}"


class Dashboard(RegistrationSummary):
    """No table of its own: the admin index's link to the dashboard pages."""

    class Meta:
        proxy = True
        verbose_name = _("マイナ保険証ダッシュボード")
        verbose_name_plural = _("マイナ保険証ダッシュボード")

    def __str__(self) -> str:
        return str(_("マイナ保険証ダッシュボード"))


class UsageScope(models.TextChoices):
    ASSOCIATION = "association", _("協会（支部加入者）")
    NATIONAL = "national", _("国全体（都道府県）")


class UsageFigure(models.Model):
    """One month's usage (利用率 = マイナ保険証利用件数 ÷ オンライン資格確認利用件数) of a
    branch's members, or of everyone in the prefecture (国全体), imported from CSV."""

    month = models.DateField(_("年月"), help_text=_("月の初日。"))
    scope = models.CharField(_("区分"), max_length=12, choices=UsageScope.choices)
    branch = models.ForeignKey(
        "core.Branch", verbose_name=_("支部（都道府県）"), on_delete=models.PROTECT
    )
    myna_uses = models.PositiveBigIntegerField(_("マイナ保険証利用件数"))
    online_checks = models.PositiveBigIntegerField(_("オンライン資格確認利用件数"))
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("利用実績")
        verbose_name_plural = _("利用実績")
        ordering = ["-month", "scope", "branch"]
        constraints = [
            models.UniqueConstraint(fields=["month", "scope", "branch"], name="myna_usage_unique"),
            models.CheckConstraint(
                condition=Q(myna_uses__lte=models.F("online_checks")),
                name="myna_usage_uses_within_checks",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.get_scope_display()} {self.branch}"


class Metric(models.TextChoices):
    REGISTRATION = "registration", _("利用登録率")
    USAGE = "usage", _("利用率")


class KpiTarget(models.Model):
    """A target rate for a month, national (no branch) or for one branch; set by 本部."""

    month = models.DateField(_("年月"), help_text=_("月の初日。"))
    metric = models.CharField(_("指標"), max_length=12, choices=Metric.choices)
    branch = models.ForeignKey(
        "core.Branch",
        verbose_name=_("支部"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("空欄は全国の目標。"),
    )
    rate = models.DecimalField(_("目標（%）"), max_digits=5, decimal_places=2)
    note = models.CharField(_("備考"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("KPI目標")
        verbose_name_plural = _("KPI目標")
        ordering = ["-month", "metric", "branch"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "metric", "branch"],
                condition=Q(branch__isnull=False),
                name="myna_kpi_unique_branch",
            ),
            models.UniqueConstraint(
                fields=["month", "metric"],
                condition=Q(branch__isnull=True),
                name="myna_kpi_unique_national",
            ),
            models.CheckConstraint(
                condition=Q(rate__gte=0) & Q(rate__lte=100), name="myna_kpi_rate_percent"
            ),
        ]

    def __str__(self) -> str:
        where = self.branch or "全国"
        return f"{self.month:%Y-%m} {where} {self.get_metric_display()} {self.rate}%"

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        # A target is for a month: whatever day the form was given, keep the first.
        if self.month is not None:
            self.month = self.month.replace(day=1)
        super().save(*args, **kwargs)
