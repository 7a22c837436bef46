"""Mailbox API (電子ポスト) for the member app: messages, signed downloads, resubmission.

Thin: reads through :mod:`returns.selectors`, writes through :mod:`returns.services`.
Someone else's message or file is 404; download links are signed for the requesting user and
expire after ``RETURNS_LINK_MAX_AGE_SECONDS``; every download is audit-logged. The
resubmission file's JSON Schema is published at ``schemas/resubmission-v1.json``.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import FileResponse, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from applications import clock
from applications.api.serializers import ApplicationDetailSerializer
from applications.api.views import IDEMPOTENCY_HEADER, _attachments
from applications.selectors import application_for_applicant
from core.signed_links import read_link_token
from core.streaming_zip import ZipMember, stream_zip
from returns import selectors, services
from returns.api.serializers import (
    FILE_LINK,
    ZIP_LINK,
    MessageDetailSerializer,
    MessageListSerializer,
    ResubmissionInputSerializer,
    ResubmissionSubmitSerializer,
)
from returns.building.resubmission import SCHEMA_PATH
from returns.models import ReturnFile

TAG = "電子ポスト"
SCHEMA_URL_NAME = "api-return-resubmission-schema"


def serve_file(request: Any, file: ReturnFile) -> FileResponse:
    """The file itself, audit-logged, never cached."""
    handle = file.file.open("rb")
    services.file_downloaded(file=file, user=request.user, request=request)
    response = FileResponse(
        handle, content_type=file.content_type, as_attachment=True, filename=file.filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def serve_zip(request: Any, message_id: int) -> StreamingHttpResponse:
    """All files of the message's current package as one ZIP, streamed (not built in memory)."""
    message = selectors.message_for(user=request.user, pk=message_id)
    package = selectors.current_package(message)
    if package is None:
        from core.errors import NotFound

        raise NotFound("ダウンロードできる書類はまだありません。")
    files = list(package.files.all())
    for file in files:
        services.file_downloaded(file=file, user=request.user, request=request, zip_of=message.pk)
    members = [
        ZipMember(
            name=f.filename,
            modified=timezone.localtime(package.built_at or package.created_at),
            open=lambda f=f: f.file.open("rb"),
        )
        for f in files
    ]
    response = StreamingHttpResponse(stream_zip(members), content_type="application/zip")
    receipt = message.application.receipt_number
    response["Content-Disposition"] = f'attachment; filename="henrei_{receipt}.zip"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class MessageListView(generics.ListAPIView):
    serializer_class = MessageListSerializer
    filter_backends: list = []

    def get_queryset(self) -> Any:
        return selectors.mailbox_for(user=self.request.user)

    @extend_schema(
        tags=[TAG],
        summary="電子ポストのメッセージ一覧",
        description="返戻のお知らせ（新しい順）。unread は未開封、ready はダウンロード可。"
        "社会保険労務士が申請した場合は社会保険労務士に届きます。",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class MessageDetailView(APIView):
    @extend_schema(
        tags=[TAG],
        summary="メッセージを開く",
        description="返戻理由とファイル（署名付きの短期間有効なダウンロードリンク）。"
        "開いた日時が記録され、職員が確認できます。他の方のメッセージは 404。",
        responses={200: MessageDetailSerializer, 404: OpenApiResponse(description="なし")},
    )
    def get(self, request: Request, pk: int) -> Response:
        message = selectors.message_for(user=request.user, pk=pk)
        services.message_mark_opened(message=message, user=request.user, request=request)
        package = selectors.current_package(message)
        context = {"request": request, "package": package}
        return Response(MessageDetailSerializer(message, context=context).data)


class FileDownloadView(APIView):
    @extend_schema(
        tags=[TAG],
        summary="ファイルをダウンロード（署名付きリンク）",
        description="メッセージ詳細の download_url。リンクを受け取った本人のみ、有効期限内のみ。",
        responses={(200, "application/octet-stream"): bytes, 404: OpenApiResponse()},
    )
    def get(self, request: Request, token: str) -> HttpResponse:
        file_id = read_link_token(
            token, purpose=FILE_LINK, user=request.user,
            max_age=settings.RETURNS_LINK_MAX_AGE_SECONDS,
        )  # fmt: skip
        return serve_file(request, selectors.file_for_recipient(user=request.user, pk=file_id))


class ZipDownloadView(APIView):
    @extend_schema(
        tags=[TAG],
        summary="すべてのファイルを ZIP でダウンロード（署名付きリンク）",
        responses={(200, "application/zip"): bytes, 404: OpenApiResponse()},
    )
    def get(self, request: Request, token: str) -> HttpResponse:
        message_id = read_link_token(
            token, purpose=ZIP_LINK, user=request.user,
            max_age=settings.RETURNS_LINK_MAX_AGE_SECONDS,
        )  # fmt: skip
        return serve_zip(request, message_id)


class ResubmissionView(APIView):
    # The project's parsers (settings): bounded JSON, text refused at the edge.
    #: 404: the returned application is not this applicant's (the generator cannot see it).
    schema_error_codes = ["404"]

    @extend_schema(
        tags=[TAG],
        summary="返戻された申請から再申請の下書きを作る",
        description="再申請用ファイル（file、JSON。スキーマは "
        "/api/v1/returns/schemas/resubmission-v1.json）をアップロードするか、返戻された申請の "
        "ID（application_id）を指定すると、前回の内容を入力済みの下書き（resubmission_of 付き）"
        "ができます。修正して /api/v1/applications/{id}/submit/ で申請してください。"
        "前回の添付書類を再利用するときは、その添付書類を改めて添付します。"
        "改変されたファイル、別の方あてのファイル、未対応の版、JSON でないファイル、"
        "大きすぎるファイルは 400/403 で、何も作られません。",
        request={
            "multipart/form-data": ResubmissionInputSerializer,
            "application/json": ResubmissionInputSerializer,
        },
        responses={
            201: ApplicationDetailSerializer,
            400: OpenApiResponse(),
            403: OpenApiResponse(),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = ResubmissionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data.get("file")
        content = None
        if upload is not None:
            content = upload.read(settings.RETURNS_RESUBMISSION_MAX_BYTES + 1)
        draft = services.resubmission_start(
            actor=request.user,
            file_content=content,
            application_id=serializer.validated_data.get("application_id"),
            request=request,
        )
        fresh = application_for_applicant(user=request.user, pk=draft.pk)
        return Response(ApplicationDetailSerializer(fresh).data, status=status.HTTP_201_CREATED)


class ResubmissionSubmitView(APIView):
    @extend_schema(
        tags=[TAG],
        summary="再申請の下書きを申請する（前回の添付書類を再利用できます）",
        description="通常の申請と同じ受付時間・入力チェック・Idempotency-Key。"
        "reuse_attachments に返戻された申請の添付書類の ID を指定すると再利用し、"
        "attachments で新しいファイルを追加・差し替えできます。",
        request={"multipart/form-data": ResubmissionSubmitSerializer,
                 "application/json": ResubmissionSubmitSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: ApplicationDetailSerializer, 400: OpenApiResponse(),
                   403: OpenApiResponse(), 409: OpenApiResponse()},
    )  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        serializer = ResubmissionSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = services.resubmission_submit(
            actor=request.user,
            draft_id=pk,
            reuse=serializer.validated_data.get("reuse_attachments", []),
            uploads=_attachments(serializer.validated_data),
            idempotency_key=request.headers.get("Idempotency-Key", ""),
            now=clock.now(),
            request=request,
        )
        fresh = application_for_applicant(user=request.user, pk=application.pk)
        return Response(ApplicationDetailSerializer(fresh).data, status=status.HTTP_201_CREATED)


@extend_schema(exclude=True)
class ResubmissionSchemaView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    def get(self, request: Request) -> HttpResponse:
        schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
        return JsonResponse(schema, json_dumps_params={"ensure_ascii": False, "indent": 2})
