"""Eligibility API serializers: what the application forms auto-fill, never the My Number."""

from __future__ import annotations

import logging
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from core.jp.errors import JapaneseValueError
from core.jp.kana import normalize_digits, normalize_kana, validate_katakana
from eligibility.models import EligibilityRecord
from eligibility.selectors import burden_ratio_for

logger = logging.getLogger(__name__)

#: A kana search needs at least this many characters (after normalisation).
KANA_MIN_LENGTH = 2


def today(serializer: serializers.Serializer) -> date:
    on = serializer.context.get("today")
    return on if on is not None else timezone.localdate()


class RecordSerializer(serializers.ModelSerializer):
    """One eligibility record as the member app's 資格選択 screen and the forms use it."""

    insurer_name = serializers.CharField(
        source="branch.insurer_name", read_only=True, help_text="保険者名称"
    )
    insurer_number = serializers.CharField(
        source="branch.insurer_number", read_only=True, help_text="保険者番号"
    )
    burden_ratio_today = serializers.SerializerMethodField(
        help_text="本日時点の負担割合（2＝2割、3＝3割）。本日資格がない場合は null。"
    )

    class Meta:
        model = EligibilityRecord
        fields = [
            "id",
            "kind",
            "insurer_name",
            "insurer_number",
            "symbol",
            "number",
            "branch_number",
            "name",
            "name_kana",
            "sex",
            "birth_date",
            "acquired_on",
            "lost_on",
            "burden_ratio_today",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_burden_ratio_today(self, record: EligibilityRecord) -> int | None:
        try:
            return burden_ratio_for(record, on=today(self))
        except JapaneseValueError as exc:
            # Incomplete data (e.g. no 標準報酬月額 at 70+): no ratio rather than an error.
            logger.warning("burden ratio unavailable for record %s: %s", record.pk, exc.code)
            return None


@extend_schema_serializer(description=_("加入者本人の資格情報。現在の資格かどうかも示します。"))
class MemberRecordSerializer(RecordSerializer):
    """A member's own record, with whether it is the current one."""

    is_current = serializers.SerializerMethodField(help_text="現在の資格かどうか")

    class Meta(RecordSerializer.Meta):
        fields = [*RecordSerializer.Meta.fields, "is_current"]
        read_only_fields = fields

    def get_is_current(self, record: EligibilityRecord) -> bool:
        return record.pk == self.context.get("current_record_id")


@extend_schema_serializer(
    description=_(
        "職員の検索で見つかった資格情報。加入者と、被扶養者の場合は被保険者の資格情報も含みます。"
    )
)
class StaffRecordSerializer(RecordSerializer):
    """A record found by a staff lookup: also the person and, for a dependent, the insured."""

    class Meta(RecordSerializer.Meta):
        fields = [*RecordSerializer.Meta.fields, "person", "insured_record"]
        read_only_fields = fields


class LookupQuerySerializer(serializers.Serializer):
    """Staff lookup: 記号＋番号（＋枝番） or a フリガナ prefix of at least two characters."""

    symbol = serializers.CharField(required=False, allow_blank=True, help_text="記号")
    number = serializers.CharField(required=False, allow_blank=True, help_text="番号")
    branch_number = serializers.CharField(required=False, allow_blank=True, help_text="枝番")
    kana = serializers.CharField(
        required=False, allow_blank=True, help_text="フリガナ（前方一致、2文字以上）"
    )
    branch = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=47,
        help_text="支部（都道府県コード）。本部職員が支部を絞り込むときに指定します。",
        error_messages={
            "invalid": "支部は都道府県コード（1～47）で指定してください。",
            "min_value": "支部は都道府県コード（1～47）で指定してください。",
            "max_value": "支部は都道府県コード（1～47）で指定してください。",
        },
    )

    @staticmethod
    def _digits(value: str, *, low: int, high: int, label: str) -> str:
        digits = normalize_digits(value)
        if not (digits.isascii() and digits.isdigit() and low <= len(digits) <= high):
            size = f"{high}桁" if low == high else f"{low}～{high}桁"
            raise serializers.ValidationError(f"{label}は数字{size}で入力してください。")
        return digits

    def validate_symbol(self, value: str) -> str:
        return self._digits(value, low=7, high=8, label="記号") if value else ""

    def validate_number(self, value: str) -> str:
        return self._digits(value, low=1, high=8, label="番号") if value else ""

    def validate_branch_number(self, value: str) -> str:
        if not value:
            return ""
        return self._digits(value, low=1, high=2, label="枝番").zfill(2)

    def validate_kana(self, value: str) -> str:
        if not normalize_kana(value):
            return ""
        try:
            kana = validate_katakana(value)
        except JapaneseValueError as exc:
            raise serializers.ValidationError(exc.message) from exc
        if len(kana.replace("\u3000", "")) < KANA_MIN_LENGTH:
            raise serializers.ValidationError(
                f"フリガナは{KANA_MIN_LENGTH}文字以上で入力してください。"
            )
        return kana

    def validate(self, attrs: dict) -> dict:
        has_number = bool(attrs.get("symbol")) and bool(attrs.get("number"))
        if not has_number and not attrs.get("kana"):
            raise serializers.ValidationError(
                "記号と番号、またはフリガナ（2文字以上）を指定してください。"
            )
        if attrs.get("branch_number") and not has_number:
            raise serializers.ValidationError(
                {"branch_number": "枝番は記号・番号と一緒に指定してください。"}
            )
        return attrs
