"""The initial return-reason catalogue, ensured after every migrate/flush (post_migrate), so a
flushed test database or a restored dump always has it. Only missing codes are created:
headquarters' edits in the admin are kept."""

from __future__ import annotations

from typing import Any

#: (code, label, guidance, order)
REASONS: tuple[tuple[str, str, str, int], ...] = (
    ("attachment_missing", "添付書類の不足",
     "不足している添付書類を添付して再申請してください。", 10),
    ("entry_error", "記載内容の不備", "該当する項目を正しく入力して再申請してください。", 20),
    ("bank_mismatch", "口座情報の相違",
     "申請者ご本人名義の口座を正しく入力して再申請してください。", 30),
    ("certification_missing", "証明欄の未記入",
     "事業主または医師等の証明を受けて再申請してください。", 40),
    ("deadline_passed", "申請期限の経過",
     "申請期限（時効）を確認のうえ、支部にお問い合わせください。", 50),
    ("illegible_attachment", "添付書類が読み取れない",
     "鮮明な画像またはPDFを添付して再申請してください。", 60),
    ("other", "その他", "", 900),
)  # fmt: skip


def ensure_reason_catalogue(*, sender: Any = None, **kwargs: Any) -> None:
    """post_migrate handler of the returns app: create the missing catalogue entries."""
    from returns.models import ReturnReason

    existing = set(ReturnReason.objects.values_list("code", flat=True))
    ReturnReason.objects.bulk_create(
        [
            ReturnReason(code=code, label=label, guidance=guidance, order=order)
            for code, label, guidance, order in REASONS
            if code not in existing
        ]
    )
