"""Eligibility API: a member's own records; the staff lookup (branch-scoped, audit-logged)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.pagination import IdCursorPagination
from core.audit import record_event
from core.models import AuditEvent
from eligibility.api.serializers import (
    LookupQuerySerializer,
    MemberRecordSerializer,
    StaffRecordSerializer,
)
from eligibility.models import EligibilityRecord
from eligibility.selectors import (
    current_record_id_for_member,
    records_for_member,
    records_for_staff,
)

TAG = "資格情報"


class IsMember(BasePermission):
    message = "加入者の方のみご利用いただけます。"

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(getattr(request.user, "is_member", False))


class CanLookUpRecords(BasePermission):
    message = "資格情報を照会する権限がありません。"

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(
            getattr(user, "is_staff", False)
            and user.kind == user.Kind.STAFF
            and user.has_perm("eligibility.view_eligibilityrecord")
        )


class LookupPagination(IdCursorPagination):
    """Cursor on the view's ordering: by フリガナ for a kana search, so that the page is read
    in (branch, name_kana) index order and stops after one page, however common the name."""

    def get_ordering(self, request: Any, queryset: Any, view: Any) -> tuple[str, ...]:
        return view.cursor_ordering()


class _MemberRecordMixin:
    serializer_class = MemberRecordSerializer
    permission_classes = [IsAuthenticated, IsMember]
    filter_backends: list = []
    request: Request

    def get_queryset(self) -> QuerySet[EligibilityRecord]:
        return records_for_member(user=self.request.user)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()  # type: ignore[misc]
        if getattr(self, "swagger_fake_view", False):
            return context
        on = timezone.localdate()
        context["today"] = on
        context["current_record_id"] = current_record_id_for_member(user=self.request.user, on=on)
        return context


@extend_schema(
    tags=[TAG],
    summary="自分の資格情報の一覧",
    description="ログイン中の加入者本人の資格情報（資格選択画面・申請書の自動入力用）。"
    "個人番号は含みません。",
)
class MemberRecordListView(_MemberRecordMixin, generics.ListAPIView):
    pass


@extend_schema(
    tags=[TAG],
    summary="自分の資格情報",
    description="本人の資格情報のみ取得できます。他の方の資格情報は「見つかりません」になります。",
)
class MemberRecordDetailView(_MemberRecordMixin, generics.RetrieveAPIView):
    pass


@extend_schema(
    tags=[TAG],
    summary="資格情報の照会（職員）",
    description="記号・番号（・枝番）またはフリガナ（前方一致、2文字以上）で所属支部の資格情報を"
    "照会します。本部職員は全支部（branch で絞り込み可）。照会は監査ログに記録されます。",
    parameters=[LookupQuerySerializer],
)
class StaffLookupView(generics.ListAPIView):
    serializer_class = StaffRecordSerializer
    permission_classes = [IsAuthenticated, CanLookUpRecords]
    pagination_class = LookupPagination
    filter_backends: list = []
    lookup_params: dict[str, Any]

    def cursor_ordering(self) -> tuple[str, ...]:
        if getattr(self, "lookup_params", {}).get("kana"):
            return ("name_kana", "id")
        return ("-id",)

    def get_queryset(self) -> QuerySet[EligibilityRecord]:
        if getattr(self, "swagger_fake_view", False):
            return EligibilityRecord.objects.none()
        params = LookupQuerySerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        self.lookup_params = {k: v for k, v in params.validated_data.items() if v}
        return records_for_staff(
            user=self.request.user,
            symbol=self.lookup_params.get("symbol"),
            number=self.lookup_params.get("number"),
            branch_number=self.lookup_params.get("branch_number"),
            kana=self.lookup_params.get("kana"),
            branch_code=self.lookup_params.get("branch"),
        )

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["today"] = timezone.localdate()
        return context

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        records = list(page) if page is not None else []
        record_event(
            actor=request.user,
            action=AuditEvent.Action.VIEW,
            object_type=EligibilityRecord._meta.label_lower,
            branch_id=request.user.branch_id,
            changes={
                "lookup": self.lookup_params,
                "record_ids": [r.pk for r in records],
            },
            request=request,
        )
        serializer = self.get_serializer(records, many=True)
        return self.get_paginated_response(serializer.data)
