"""Electronic application API serializers: the form catalogue, filing input, applications.

Input serializers only check the shape of a request; every business rule (who may file,
service hours, form data, bank account, attachments) is in
:mod:`applications.services.filing`.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from applications.forms_catalogue import (
    AttachmentSpec,
    FieldSpec,
    FormDefinition,
    UnknownFormError,
    get_form,
)
from applications.models import Application, ApplicationAttachment, StatusChange
from core.input_guard import loads_json
from core.jp.errors import JapaneseValueError
from core.uploads import UploadError, check_upload_size

CATEGORY_LABELS = {"benefit": "給付", "eligibility": "適用", "health": "保健事業"}

#: Filled from the eligibility record (資格選択); a client may never send them.
MEMBER_FIELDS: dict[str, str] = {
    "insurer_name": "保険者名称",
    "name": "氏名",
    "name_kana": "フリガナ",
    "sex": "性別",
    "branch": "支部",
}
#: How attorneys and staff name the record; members choose theirs by id instead.
IDENTITY_FIELDS: dict[str, str] = {
    "symbol": "記号",
    "number": "番号",
    "branch_number": "枝番",
    "birth_date": "生年月日",
}


# --- catalogue -------------------------------------------------------------------------------


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class ConditionSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="条件となる項目")
    values = serializers.ListField(
        child=serializers.JSONField(), help_text="この値のいずれかのとき条件を満たす"
    )


class FieldSpecSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    type = serializers.CharField(
        help_text=_(
            "項目の種類: text, multiline, kana, digits, integer, money, date, month, "
            "choice, boolean"
        )
    )
    required = serializers.BooleanField()
    max_length = serializers.IntegerField(allow_null=True)
    min_length = serializers.IntegerField(allow_null=True)
    min_value = serializers.IntegerField(allow_null=True)
    max_value = serializers.IntegerField(allow_null=True)
    choices = serializers.SerializerMethodField()
    not_future = serializers.BooleanField()
    help = serializers.CharField()
    required_when = serializers.SerializerMethodField(
        help_text="この条件のとき必須（条件を満たさないときは空欄）。常に必須・任意なら null。"
    )

    @extend_schema_field(ChoiceSerializer(many=True))
    def get_choices(self, spec: FieldSpec) -> list[dict[str, str]]:
        return [{"value": value, "label": label} for value, label in spec.choices]

    @extend_schema_field(ConditionSerializer(allow_null=True))
    def get_required_when(self, spec: FieldSpec) -> dict[str, Any] | None:
        rules = self.context.get("required_when", {})
        condition = rules.get(spec.name)
        if condition is None:
            return None
        return {"field": condition.field, "values": list(condition.values)}


class AttachmentSpecSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    required = serializers.BooleanField()
    max_count = serializers.IntegerField()
    required_when = serializers.SerializerMethodField()
    help = serializers.CharField()

    @extend_schema_field(ConditionSerializer(allow_null=True))
    def get_required_when(self, spec: AttachmentSpec) -> dict[str, Any] | None:
        if spec.required_when is None:
            return None
        return {"field": spec.required_when.field, "values": list(spec.required_when.values)}


@extend_schema_serializer(
    description=_(
        "申請書カタログの1件。加入者アプリと社会保険労務士のクライアントが入力画面を作るための定義。"
    )
)
class FormSerializer(serializers.Serializer):
    """One form of the catalogue, as the member app and attorney clients render it."""

    code = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField()
    category_label = serializers.SerializerMethodField()
    version = serializers.IntegerField()
    fields = serializers.SerializerMethodField(method_name="get_form_fields")
    attachments = AttachmentSpecSerializer(many=True)
    pays_money = serializers.BooleanField(help_text="給付金の振込先口座（bank_account）が必要")
    shows_sex = serializers.BooleanField(help_text="性別を資格情報から表示する申請書")
    dependents_may_file = serializers.BooleanField(help_text="被扶養者も申請できる")
    attorneys_may_file = serializers.BooleanField(help_text="社会保険労務士も申請できる")
    note = serializers.CharField()

    def get_category_label(self, form: FormDefinition) -> str:
        return CATEGORY_LABELS.get(form.category, form.category)

    @extend_schema_field(FieldSpecSerializer(many=True))
    def get_form_fields(self, form: FormDefinition) -> list[dict[str, Any]]:
        rules = {rule.field: rule.condition for rule in form.required_when}
        return list(
            FieldSpecSerializer(form.fields, many=True, context={"required_when": rules}).data
        )


# --- filing input ----------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.OBJECT)
class JSONObjectField(serializers.Field):
    """A JSON object, or (in multipart requests) a string holding one."""

    # DRF runs these messages through str.format: literal braces are doubled.
    default_error_messages = {"invalid": "JSON形式のオブジェクト（{{...}}）で指定してください。"}

    def to_internal_value(self, value: Any) -> dict[str, Any]:
        if isinstance(value, str):
            # JSON inside a multipart field: the same limits as a JSON body (core.input_guard).
            try:
                value = loads_json(value, where=self.field_name or "")
            except JapaneseValueError as exc:
                if exc.code == "invalid_json":
                    self.fail("invalid")
                raise serializers.ValidationError(exc.message, code=exc.code) from exc
        if not isinstance(value, dict):
            self.fail("invalid")
        return value

    def to_representation(self, value: Any) -> Any:
        return value


def _refuse(initial: Any, names: dict[str, str], message: str) -> dict[str, list[str]]:
    keys = initial.keys() if hasattr(initial, "keys") else ()
    return {key: [message.format(label=label)] for key, label in names.items() if key in keys}


class _RecordChoiceMixin(serializers.Serializer):
    record = serializers.IntegerField(
        required=False, min_value=1, help_text="加入者: 自分の資格情報の id（資格選択）"
    )
    symbol = serializers.CharField(required=False, max_length=16, help_text="社会保険労務士: 記号")
    number = serializers.CharField(required=False, max_length=16, help_text="社会保険労務士: 番号")
    branch_number = serializers.CharField(
        required=False, max_length=4, help_text="社会保険労務士: 枝番"
    )
    birth_date = serializers.DateField(
        required=False,
        input_formats=["iso-8601", "%Y/%m/%d"],
        help_text="社会保険労務士: 加入者の生年月日（YYYY-MM-DD）",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors = _refuse(
            self.initial_data,
            MEMBER_FIELDS,
            "{label}は資格情報から自動で入力されるため、指定できません。",
        )
        user = self.context["request"].user
        if getattr(user, "is_member", False):
            errors |= _refuse(
                self.initial_data,
                IDENTITY_FIELDS,
                "{label}は選択した資格情報から自動で入力されるため、指定できません。",
            )
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class _AttachmentsMixin(serializers.Serializer):
    attachments = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        help_text="添付ファイル（JPEG・PNG・HEIC・PDF）。multipart で複数指定",
    )
    attachment_kinds = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        help_text="attachments と同じ順に、各ファイルの添付書類コード（申請書の attachments.code）",
    )

    def validate_attachments(self, files: list[Any]) -> list[Any]:
        """Refuse a file over the size limit here, from its real size: the view reads only the
        first bytes of each file, one more than the limit."""
        messages = []
        for upload in files:
            try:
                check_upload_size(upload.size or 0)
            except UploadError as exc:
                messages.append(f"「{upload.name}」: {exc.message}" if upload.name else exc.message)
        if messages:
            raise serializers.ValidationError(messages)
        return files

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        files = attrs.get("attachments", [])
        kinds = attrs.get("attachment_kinds", [])
        if len(files) != len(kinds):
            raise serializers.ValidationError(
                {
                    "attachment_kinds": [
                        f"添付ファイル（{len(files)}件）と同じ数の添付書類コード（現在{len(kinds)}件）"
                        "を、ファイルと同じ順に指定してください。"
                    ]
                }
            )
        return attrs


@extend_schema_serializer(
    description=_(
        "新しい申請（または下書き）。添付ファイルがあれば multipart/form-data、なければ JSON。"
    )
)
class FilingInputSerializer(_AttachmentsMixin, _RecordChoiceMixin):
    """A new application (or draft). multipart/form-data with files, or JSON without."""

    form_code = serializers.CharField(max_length=40, help_text="申請書コード")
    data = JSONObjectField(
        required=False, help_text="申請内容（項目名 → 値）。multipart では JSON 文字列"
    )
    bank_account = JSONObjectField(
        required=False, allow_null=True, help_text="振込先口座（pays_money の申請書のみ）"
    )
    resubmission_of = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="再申請元（返戻された申請）の id"
    )
    draft = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true で下書き保存（受付時間外も可）。下書きには添付ファイルを付けられません"
        "（付けると 400）。",
    )


@extend_schema_serializer(description=_("下書きの変更。指定しなかった項目はそのまま残ります。"))
class DraftUpdateSerializer(_RecordChoiceMixin):
    """Changes to a draft; what is left out stays as it is."""

    data = JSONObjectField(required=False)
    bank_account = JSONObjectField(required=False, allow_null=True)
    resubmission_of = serializers.IntegerField(required=False, allow_null=True, min_value=1)


@extend_schema_serializer(
    description=_("下書きの提出。data / bank_account を指定しなければ保存済みの内容で提出します。")
)
class DraftSubmitSerializer(_AttachmentsMixin, _RecordChoiceMixin):
    """Submitting a draft: its stored data unless ``data`` / ``bank_account`` are given."""

    data = JSONObjectField(required=False)
    bank_account = JSONObjectField(required=False, allow_null=True)


# --- applications ----------------------------------------------------------------------------


def _form_of(application: Application) -> FormDefinition | None:
    try:
        return get_form(application.form_code, application.form_version)
    except UnknownFormError:
        return None


class ApplicationListSerializer(serializers.ModelSerializer):
    """One row of the applicant's 申請状況 list."""

    form_name = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "form_code",
            "form_name",
            "receipt_number",
            "submitted_at",
            "created_at",
            "status",
            "status_label",
            "status_comment",
        ]
        read_only_fields = fields

    def get_form_name(self, application: Application) -> str:
        form = _form_of(application)
        return form.name if form else application.form_code


class AttachmentSerializer(serializers.ModelSerializer):
    kind_label = serializers.SerializerMethodField()
    filename = serializers.CharField(source="original_filename", read_only=True)

    class Meta:
        model = ApplicationAttachment
        fields = [
            "id",
            "kind",
            "kind_label",
            "filename",
            "content_type",
            "size",
            "width",
            "height",
            "pages",
            "created_at",
        ]
        read_only_fields = fields

    def get_kind_label(self, attachment: ApplicationAttachment) -> str:
        form = _form_of(attachment.application)
        labels = {a.code: a.label for a in form.attachments} if form else {}
        return labels.get(attachment.kind, attachment.kind)


class StatusChangeSerializer(serializers.ModelSerializer):
    # Plain strings: the values are those of the application's ``status`` (StatusEnum);
    # declaring them as enums again would give the same choice set three schema names.
    from_status = serializers.CharField(read_only=True, help_text="変更前（最初の受付は空）")
    to_status = serializers.CharField(read_only=True, help_text="変更後（status と同じ値）")
    from_status_label = serializers.CharField(source="get_from_status_display", read_only=True)
    to_status_label = serializers.CharField(source="get_to_status_display", read_only=True)

    class Meta:
        model = StatusChange
        fields = [
            "from_status",
            "from_status_label",
            "to_status",
            "to_status_label",
            "comment",
            "at",
        ]
        read_only_fields = fields


@extend_schema_serializer(
    description=_("申請者から見た申請の全体: 加入者の項目、申請内容、添付ファイル、状態の履歴。")
)
class ApplicationDetailSerializer(ApplicationListSerializer):
    """The whole application as its applicant sees it: member fields, data, files, history."""

    attachments = AttachmentSerializer(many=True, read_only=True)
    status_history = StatusChangeSerializer(source="status_changes", many=True, read_only=True)

    class Meta(ApplicationListSerializer.Meta):
        fields = [
            *ApplicationListSerializer.Meta.fields,
            "form_version",
            "record",
            "insurer_name",
            "symbol",
            "number",
            "branch_number",
            "name",
            "name_kana",
            "sex",
            "birth_date",
            "data",
            "bank_account",
            "resubmission_of",
            "attachments",
            "status_history",
        ]
        read_only_fields = fields
