"""Employers, persons and their eligibility records (資格情報)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    MALE = "1", _("男")
    FEMALE = "2", _("女")


class Employer(models.Model):
    """事業所. `symbol` (記号) is the office symbol in digits, unique within a branch."""

    branch = models.ForeignKey(
        "core.Branch", verbose_name=_("支部"), on_delete=models.PROTECT, related_name="employers"
    )
    symbol = models.CharField(_("記号"), max_length=8)
    name = models.CharField(_("事業所名称"), max_length=120)
    name_kana = models.CharField(_("事業所名称（カナ）"), max_length=160, blank=True)
    postal_code = models.CharField(_("郵便番号"), max_length=7)
    address = models.CharField(_("所在地"), max_length=200)
    phone = models.CharField(_("電話番号"), max_length=20, blank=True)
    # db_default: the bulk import's COPY leaves both out and the server fills them in.
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        verbose_name = _("事業所")
        verbose_name_plural = _("事業所")
        constraints = [
            models.UniqueConstraint(fields=["branch", "symbol"], name="employer_unique_symbol")
        ]

    def __str__(self) -> str:
        return f"{self.symbol} {self.name}"


class Person(models.Model):
    """A human being across all their eligibility records.

    The My Number is never stored: only its last four digits (printed on the notice) and a
    keyed hash (HMAC-SHA256, core.personal_ids) to match records.
    """

    # One person per account, by a partial unique index (Meta): most persons have no
    # account, and a OneToOneField's full index would hold a NULL entry for each of them.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("加入者アカウント"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="persons",
        db_index=False,
    )
    my_number_last4 = models.CharField(_("個人番号（下4桁）"), max_length=4, blank=True)
    my_number_hash = models.CharField(
        _("個人番号（ハッシュ）"), max_length=64, blank=True, editable=False
    )
    mynacard_registered = models.BooleanField(_("マイナ保険証 利用登録"), default=False)
    mynacard_registered_on = models.DateField(_("利用登録日"), null=True, blank=True)
    # db_default: the bulk import's COPY leaves both out and the server fills them in.
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        verbose_name = _("加入者")
        verbose_name_plural = _("加入者")
        permissions = [("view_my_number", _("個人番号（下4桁）を閲覧できる"))]
        constraints = [
            models.UniqueConstraint(
                fields=["my_number_hash"],
                condition=~Q(my_number_hash=""),
                name="person_unique_my_number_hash",
            ),
            models.UniqueConstraint(
                fields=["user"], condition=Q(user__isnull=False), name="person_unique_user"
            ),
        ]

    def __str__(self) -> str:
        return f"加入者 {self.pk}"


class EligibilityRecord(models.Model):
    """One qualification (資格) of a person: as insured person, dependent or 任意継続."""

    class Kind(models.TextChoices):
        INSURED = "insured", _("被保険者")
        DEPENDENT = "dependent", _("被扶養者")
        VOLUNTARY = "voluntary", _("任意継続被保険者")

    # No single-column indexes on person and branch: the composite indexes below lead with
    # them, and every extra index slows the bulk imports of millions of rows.
    #
    # person, employer and insured_record have no foreign-key constraint in the database
    # (db_constraint=False): PostgreSQL checks a constraint row by row, with a query and a
    # row lock for each, which was 40 % of its work in a member import. The references are
    # checked instead where records are written: the import locks the rows its batch
    # refers to (FOR KEY SHARE, the constraint's own lock) and stops if one is missing
    # (eligibility.imports.references); forms and services validate them (full_clean).
    # PROTECT still refuses a delete in the ORM, and nothing in the application deletes
    # persons, employers or records (the admin does not offer it).
    # eligibility.integrity.dangling_references() finds any reference left broken.
    person = models.ForeignKey(
        Person,
        verbose_name=_("加入者"),
        on_delete=models.PROTECT,
        related_name="records",
        db_index=False,
        db_constraint=False,
    )
    kind = models.CharField(_("資格区分"), max_length=10, choices=Kind.choices)
    branch = models.ForeignKey(
        "core.Branch",
        verbose_name=_("支部"),
        on_delete=models.PROTECT,
        related_name="records",
        db_index=False,
        # No foreign-key constraint in the database: the 47 branches are reference data
        # (created by migration, restored after every migrate and flush, never deleted:
        # PROTECT still refuses it in the ORM), and the constraint's per-row check was an
        # eighth of PostgreSQL's work in a member import. Imports and forms only take a
        # branch that exists (eligibility.imports.branches.BranchIndex).
        db_constraint=False,
    )
    employer = models.ForeignKey(
        Employer,
        verbose_name=_("事業所"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="records",
        db_constraint=False,
    )
    symbol = models.CharField(_("記号"), max_length=8)
    number = models.CharField(_("番号"), max_length=8)
    branch_number = models.CharField(_("枝番"), max_length=2, default="00")
    name = models.CharField(_("氏名"), max_length=60)
    name_kana = models.CharField(_("フリガナ"), max_length=80)
    birth_date = models.DateField(_("生年月日"))
    sex = models.CharField(_("性別"), max_length=1, choices=Sex.choices)
    postal_code = models.CharField(_("郵便番号"), max_length=7, blank=True)
    address = models.CharField(_("住所"), max_length=200, blank=True)
    acquired_on = models.DateField(_("資格取得年月日"), help_text=_("被扶養者は認定年月日。"))
    lost_on = models.DateField(_("資格喪失年月日"), null=True, blank=True)
    insured_record = models.ForeignKey(
        "self",
        verbose_name=_("被保険者"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dependents",
        help_text=_("被扶養者の場合、その被保険者の資格。"),
        db_index=False,  # a partial index (Meta.indexes)
        db_constraint=False,
    )
    standard_monthly_remuneration = models.PositiveIntegerField(
        _("標準報酬月額"), null=True, blank=True
    )
    income_reduction_applied = models.BooleanField(
        _("基準収入額適用"),
        default=False,
        help_text=_("70歳以上の現役並み所得者が基準収入額適用申請により2割となる場合。"),
    )
    certificate_requested = models.BooleanField(_("資格確認書の交付希望"), default=False)
    # db_default: the bulk import's COPY leaves both out and the server fills them in.
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        verbose_name = _("資格情報")
        verbose_name_plural = _("資格情報")
        constraints = [
            # 記号 first: the one index serves the look-ups by 記号・番号 across branches
            # (headquarters, attorneys) as well as those within a branch.
            models.UniqueConstraint(
                fields=["symbol", "number", "branch_number", "branch"],
                name="record_unique_symbol_number_branch",
            ),
            models.CheckConstraint(
                condition=Q(lost_on__isnull=True) | Q(lost_on__gt=models.F("acquired_on")),
                name="record_lost_after_acquired",
            ),
            models.CheckConstraint(
                condition=~Q(kind="dependent") | Q(insured_record__isnull=False),
                name="record_dependent_has_insured",
            ),
            models.CheckConstraint(
                condition=~Q(kind="voluntary") | Q(employer__isnull=True),
                name="record_voluntary_has_no_employer",
            ),
        ]
        indexes = [
            models.Index(fields=["branch", "name_kana"]),
            models.Index(fields=["person", "acquired_on"]),
            # Dependents only: most records are insured persons, whose NULLs need no entry.
            models.Index(
                fields=["insured_record"],
                condition=Q(insured_record__isnull=False),
                name="record_insured_record",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.symbol}-{self.number}-{self.branch_number} {self.name}"

    @property
    def symbol_number(self) -> str:
        """記号・番号・枝番 as printed: 12345678・123・00."""
        return f"{self.symbol}・{self.number}・{self.branch_number}"
