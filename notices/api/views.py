"""GET /api/v1/notices/batches/<id>/: a batch's status and counts (overall and per branch),
and the employers' 対象者一覧表 written so far.

Staff with ``notices.view_mailingbatch``; a branch's staff see their branch's batches only
(another branch's batch answers 404, as if it did not exist)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from notices.batches import finishing, selectors


class CountsSerializer(serializers.Serializer):
    planned = serializers.IntegerField()
    pending = serializers.IntegerField()
    rendered = serializers.IntegerField()
    failed = serializers.IntegerField()
    skipped = serializers.IntegerField()
    returned = serializers.IntegerField()
    percent = serializers.IntegerField()


class BranchCountsSerializer(CountsSerializer):
    branch_id = serializers.IntegerField()


class ListProgressSerializer(serializers.Serializer):
    employers = serializers.IntegerField(help_text="対象者一覧表を作る事業所の数（出力作成中から）")
    done = serializers.IntegerField(help_text="対象者一覧表を作成済みの事業所の数")


class BatchStatusSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    document = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    as_of = serializers.DateField()
    branch = serializers.IntegerField(allow_null=True)
    counts = CountsSerializer()
    by_branch = BranchCountsSerializer(many=True)
    lists = ListProgressSerializer()
    launched_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


def counts(c: selectors.Counts) -> dict[str, int]:
    return {
        "planned": c.planned,
        "pending": c.pending,
        "rendered": c.rendered,
        "failed": c.failed,
        "skipped": c.skipped,
        "returned": c.returned,
        "percent": c.percent,
    }


class BatchStatusView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=BatchStatusSerializer)
    def get(self, request: Request, pk: int) -> Response:
        if not request.user.has_perm("notices.view_mailingbatch"):
            raise PermissionDenied("発送バッチを見る権限がありません。")
        batch = selectors.batches_for(request.user).filter(pk=pk).first()
        if batch is None:
            raise NotFound("発送バッチが見つかりません。")
        progress = selectors.progress(batch)
        lists = finishing.list_progress(batch)
        body: dict[str, Any] = {
            "id": batch.pk,
            "kind": batch.kind,
            "document": batch.document,
            "status": batch.status,
            "status_label": batch.get_status_display(),
            "as_of": batch.as_of.isoformat(),
            "branch": batch.branch.code if batch.branch_id else None,
            "counts": counts(progress.total),
            "by_branch": [
                {"branch_id": branch_id, **counts(c)} for branch_id, c in progress.by_branch.items()
            ],
            "lists": {"employers": lists.employers, "done": lists.done},
            "launched_at": batch.launched_at,
            "finished_at": batch.finished_at,
        }
        return Response(body)
