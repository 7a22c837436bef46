"""Electronic application API (電子申請): the catalogue, filing, drafts, the applicant's status.

Views only translate HTTP to the services in :mod:`applications.services.filing` and back.
The services' errors are :class:`core.errors.ServiceError` subclasses, mapped once by
``core.api.errors.exception_handler``:

* :class:`FormDataError` → 400, errors keyed ``data.<field>``, ``bank_account.<field>``,
  ``attachments`` (a file refused), ``attachments.<code>`` (counts), ``record`` …;
* :class:`FilingNotAllowed` → 403 with the reason;
* :class:`ServiceClosed` → 403 with ``detail`` = when filing reopens, and ``Retry-After``.
  403, not 423: 423 Locked is WebDAV's "this resource is locked" and generic clients treat
  it as such; the request is understood and refused by a rule of the current time, which is
  403, and no client should retry automatically before the time in the message;
* :class:`FilingConflict` → 409.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from applications import clock
from applications.api.serializers import (
    ApplicationDetailSerializer,
    ApplicationListSerializer,
    DraftSubmitSerializer,
    DraftUpdateSerializer,
    FilingInputSerializer,
    FormSerializer,
)
from applications.forms_catalogue import FormDataError, UnknownFormError, get_form
from applications.models import Application
from applications.selectors import (
    application_for_applicant,
    applications_for_applicant,
    resubmittable_for,
)
from applications.services.filing import (
    Attachment,
    application_save_draft,
    application_submit_outcome,
    filing_record,
    forms_for,
)
from core.uploads import MAX_UPLOAD_BYTES
from eligibility.models import EligibilityRecord

TAG = "電子申請"

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="申請ごとに異なる64文字以内のキー（UUID など）。同じキーで再送すると、"
    "新しい申請は作られず最初の申請が返ります（200）。",
)
ERROR_RESPONSES: dict[int, OpenApiResponse] = {
    400: OpenApiResponse(description="入力の誤り。errors に項目ごとのメッセージ"),
    403: OpenApiResponse(
        description="受付時間外（detail に次の受付開始日時、Retry-After ヘッダー）、"
        "またはこの申請書を申請できない利用者・資格"
    ),
    409: OpenApiResponse(description="既に受付済みの下書き、または別の申請に使われたキー"),
}


def _read(upload: UploadedFile) -> bytes:
    # One byte over the limit is enough for core.uploads to refuse the file as too large,
    # without reading a huge upload into memory.
    return upload.read(MAX_UPLOAD_BYTES + 1)


def _attachments(validated: dict[str, Any]) -> list[Attachment]:
    files = validated.get("attachments", [])
    kinds = validated.get("attachment_kinds", [])
    return [(kind, f.name or "", _read(f)) for kind, f in zip(kinds, files, strict=True)]


def _record(request: Request, validated: dict[str, Any]) -> EligibilityRecord:
    return filing_record(
        user=request.user,
        now=clock.now(),
        record_id=validated.get("record"),
        symbol=validated.get("symbol"),
        number=validated.get("number"),
        branch_number=validated.get("branch_number"),
        birth_date=validated.get("birth_date"),
    )


def _names_record(validated: dict[str, Any]) -> bool:
    return any(
        key in validated for key in ("record", "symbol", "number", "branch_number", "birth_date")
    )


def _resubmission(request: Request, pk: int | None) -> Application | None:
    if pk is None:
        return None
    original = resubmittable_for(user=request.user, pk=pk)
    if original is None:
        raise FormDataError({"resubmission_of": ["再申請元の申請が見つかりません。"]})
    return original


def _detail(request: Request, application: Application, code: int) -> Response:
    fresh = application_for_applicant(user=request.user, pk=application.pk)
    return Response(ApplicationDetailSerializer(fresh).data, status=code)


def _wants_draft(request: Request, validated: dict[str, Any]) -> bool:
    flag = request.query_params.get("draft", "").lower()
    return bool(validated.get("draft")) or flag in ("1", "true", "yes")


# --- catalogue -------------------------------------------------------------------------------


@extend_schema(
    tags=[TAG],
    summary="申請できる申請書の一覧",
    description="ログイン中の利用者が申請できる申請書（最新の版）。被扶養者の資格のみの加入者には"
    "被扶養者が申請できるもの、社会保険労務士には保健事業以外のもの。",
    responses=FormSerializer(many=True),
)
class FormListView(APIView):
    def get(self, request: Request) -> Response:
        return Response(FormSerializer(forms_for(user=request.user), many=True).data)


@extend_schema(
    tags=[TAG],
    summary="申請書の項目・添付書類",
    responses={200: FormSerializer, 404: OpenApiResponse(description="申請書が見つかりません")},
)
class FormDetailView(APIView):
    def get(self, request: Request, code: str) -> Response:
        try:
            form = get_form(code)
        except UnknownFormError:
            raise Http404 from None
        return Response(FormSerializer(form).data)


# --- filing and the applicant's list ---------------------------------------------------------


class ApplicationListCreateView(generics.GenericAPIView):
    serializer_class = ApplicationListSerializer
    filter_backends: list = []

    def get_queryset(self) -> Any:
        return applications_for_applicant(user=self.request.user)

    @extend_schema(
        tags=[TAG],
        summary="自分の申請の一覧（申請状況）",
        description="本人（または代理で申請した社会保険労務士）が作成した申請のみ。新しい順。",
        responses=ApplicationListSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ApplicationListSerializer(page, many=True).data)

    @extend_schema(
        tags=[TAG],
        summary="申請する（または下書き保存）",
        description="資格情報（加入者は record、社会保険労務士は記号・番号・枝番・生年月日）、"
        "申請書コード、申請内容（data）、振込先口座（bank_account）、添付ファイル"
        "（attachments と attachment_kinds）。氏名・記号などは資格情報から自動で入力され、"
        "指定できません。受付時間（平日8時～21時、祝日・12月29日～1月3日を除く）外は 403。"
        "下書き（draft=true または ?draft=1）はいつでも保存でき、受付番号は付きません。"
        "下書きには添付ファイルを保存できません（attachments を付けると 400）。"
        "添付ファイルは申請するとき（新規の申請、または下書きの申請）に付けてください。",
        request={
            "multipart/form-data": FilingInputSerializer,
            "application/json": FilingInputSerializer,
        },
        parameters=[
            IDEMPOTENCY_HEADER,
            OpenApiParameter(
                "draft", OpenApiTypes.BOOL, OpenApiParameter.QUERY, description="1 で下書き保存"
            ),
        ],
        responses={
            201: ApplicationDetailSerializer,
            200: OpenApiResponse(ApplicationDetailSerializer, description="同じキーでの再送"),
            **ERROR_RESPONSES,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = FilingInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        validated = serializer.validated_data
        record = _record(request, validated)
        original = _resubmission(request, validated.get("resubmission_of"))
        if _wants_draft(request, validated):
            draft = application_save_draft(
                applicant=request.user,
                record=record,
                form_code=validated["form_code"],
                data=validated.get("data") or {},
                bank_account=validated.get("bank_account"),
                resubmission_of=original,
                request=request,
                attachments=_attachments(validated),
            )
            return _detail(request, draft, status.HTTP_201_CREATED)
        outcome = application_submit_outcome(
            applicant=request.user,
            record=record,
            form_code=validated["form_code"],
            data=validated.get("data") or {},
            bank_account=validated.get("bank_account"),
            attachments=_attachments(validated),
            idempotency_key=request.headers.get("Idempotency-Key", ""),
            now=clock.now(),
            resubmission_of=original,
            request=request,
        )
        code = status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK
        return _detail(request, outcome.application, code)


class ApplicationDetailView(APIView):
    @extend_schema(
        tags=[TAG],
        summary="自分の申請の詳細",
        description="申請内容、添付ファイルの情報、状況の履歴（コメント付き）。"
        "他の方の申請は 404。",
        responses={200: ApplicationDetailSerializer, 404: OpenApiResponse(description="なし")},
    )
    def get(self, request: Request, pk: int) -> Response:
        application = application_for_applicant(user=request.user, pk=pk)
        return Response(ApplicationDetailSerializer(application).data)

    @extend_schema(
        tags=[TAG],
        summary="下書きを変更する",
        description="指定した項目だけを置き換えます（data・bank_account は全体を置換）。"
        "受付済みの申請は 409。",
        request=DraftUpdateSerializer,
        responses={200: ApplicationDetailSerializer, **ERROR_RESPONSES},
    )
    def patch(self, request: Request, pk: int) -> Response:
        draft = application_for_applicant(user=request.user, pk=pk)
        serializer = DraftUpdateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        validated = serializer.validated_data
        record = _record(request, validated) if _names_record(validated) else draft.record
        original = (
            _resubmission(request, validated["resubmission_of"])
            if "resubmission_of" in validated
            else draft.resubmission_of
        )
        saved = application_save_draft(
            applicant=request.user,
            record=record,
            form_code=draft.form_code,
            data=validated.get("data", draft.data),
            bank_account=validated.get("bank_account", draft.bank_account),
            draft=draft,
            resubmission_of=original,
            request=request,
        )
        return _detail(request, saved, status.HTTP_200_OK)


class ApplicationSubmitView(APIView):
    @extend_schema(
        tags=[TAG],
        summary="下書きを申請する",
        description="下書きの内容（data・bank_account を送るとその内容）と"
        "添付ファイルで申請します。",
        request={
            "multipart/form-data": DraftSubmitSerializer,
            "application/json": DraftSubmitSerializer,
        },
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            201: ApplicationDetailSerializer,
            200: OpenApiResponse(ApplicationDetailSerializer, description="同じキーでの再送"),
            **ERROR_RESPONSES,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        draft = application_for_applicant(user=request.user, pk=pk)
        serializer = DraftSubmitSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        validated = serializer.validated_data
        record = _record(request, validated) if _names_record(validated) else draft.record
        outcome = application_submit_outcome(
            applicant=request.user,
            record=record,
            form_code=draft.form_code,
            data=validated.get("data", draft.data),
            bank_account=validated.get("bank_account", draft.bank_account),
            attachments=_attachments(validated),
            idempotency_key=request.headers.get("Idempotency-Key", ""),
            now=clock.now(),
            resubmission_of=draft.resubmission_of,
            draft=draft,
            request=request,
        )
        code = status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK
        return _detail(request, outcome.application, code)
