"""Output and input serializers of the mailbox API (shape only; rules are in the services)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from applications import presentation
from applications.api.serializers import _AttachmentsMixin
from core.signed_links import make_link_token
from returns.models import ReturnFile, ReturnMessage, ReturnMessageReason

FILE_LINK = "returns.file"
ZIP_LINK = "returns.zip"


def file_url(request: Any, file: ReturnFile) -> str:
    token = make_link_token(purpose=FILE_LINK, object_id=file.pk, user=request.user)
    return request.build_absolute_uri(reverse("api-return-file", args=[token]))


def zip_url(request: Any, message: ReturnMessage) -> str:
    token = make_link_token(purpose=ZIP_LINK, object_id=message.pk, user=request.user)
    return request.build_absolute_uri(reverse("api-return-zip", args=[token]))


class ReturnedApplicationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    receipt_number = serializers.CharField()
    form_code = serializers.CharField()
    form_name = serializers.SerializerMethodField()
    status = serializers.CharField()
    status_comment = serializers.CharField()

    def get_form_name(self, application: Any) -> str:
        return presentation.form_name(application.form_code, application.form_version)


class MessageListSerializer(serializers.ModelSerializer):
    unread = serializers.SerializerMethodField(help_text="まだ開いていないメッセージ")
    ready = serializers.SerializerMethodField(help_text="書類の作成が終わり、ダウンロードできる")
    application = ReturnedApplicationSerializer()

    class Meta:
        model = ReturnMessage
        fields = ["id", "subject", "created_at", "opened_at", "unread", "ready", "application"]
        read_only_fields = fields

    def get_unread(self, message: ReturnMessage) -> bool:
        return message.opened_at is None

    def get_ready(self, message: ReturnMessage) -> bool:
        return bool(getattr(message, "has_files", False))


class ReasonSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="reason.label")
    guidance = serializers.CharField(source="reason.guidance")

    class Meta:
        model = ReturnMessageReason
        fields = ["label", "field_name", "field_label", "text", "guidance"]
        read_only_fields = fields


class FileSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField(help_text="署名付きの短期間有効なリンク")

    class Meta:
        model = ReturnFile
        fields = ["id", "kind", "title", "filename", "content_type", "size", "download_url"]
        read_only_fields = fields

    def get_download_url(self, file: ReturnFile) -> str:
        return file_url(self.context["request"], file)


class MessageDetailSerializer(MessageListSerializer):
    reasons = ReasonSerializer(many=True)
    version = serializers.SerializerMethodField()
    files = serializers.SerializerMethodField()
    zip_url = serializers.SerializerMethodField(
        help_text="すべてのファイルの ZIP（署名付きリンク）"
    )

    class Meta(MessageListSerializer.Meta):
        fields = [*MessageListSerializer.Meta.fields, "reasons", "version", "files", "zip_url"]
        read_only_fields = fields

    def _package(self) -> Any:
        return self.context.get("package")

    def get_version(self, message: ReturnMessage) -> int | None:
        package = self._package()
        return package.version if package else None

    @extend_schema_field(FileSerializer(many=True))
    def get_files(self, message: ReturnMessage) -> list[dict[str, Any]]:
        package = self._package()
        if package is None:
            return []
        return FileSerializer(package.files.all(), many=True, context=self.context).data

    def get_zip_url(self, message: ReturnMessage) -> str | None:
        return zip_url(self.context["request"], message) if self._package() else None


class ResubmissionInputSerializer(serializers.Serializer):
    file = serializers.FileField(
        required=False, help_text="電子ポストからダウンロードした再申請用ファイル（JSON）"
    )
    application_id = serializers.IntegerField(
        required=False, help_text="ファイルの代わりに、返戻された申請の ID"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("file" in attrs) == ("application_id" in attrs):
            raise serializers.ValidationError(
                "再申請用ファイル（file）か、返戻された申請（application_id）のどちらか一方を"
                "指定してください。"
            )
        return attrs


class ResubmissionSubmitSerializer(_AttachmentsMixin):
    reuse_attachments = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="再利用する、返戻された申請の添付書類の ID（再申請用ファイルの "
        "protected.attachments[].id）",
    )
