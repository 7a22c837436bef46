"""The initial return-reason catalogue (headquarters edits it in the admin)."""

from django.db import migrations

REASONS = [
    ("attachment_missing", "添付書類の不足", "不足している添付書類を添付して再申請してください。", 10),
    ("entry_error", "記載内容の不備", "該当する項目を正しく入力して再申請してください。", 20),
    ("bank_mismatch", "口座情報の相違", "申請者ご本人名義の口座を正しく入力して再申請してください。", 30),
    ("certification_missing", "証明欄の未記入", "事業主または医師等の証明を受けて再申請してください。", 40),
    ("deadline_passed", "申請期限の経過", "申請期限（時効）を確認のうえ、支部にお問い合わせください。", 50),
    ("illegible_attachment", "添付書類が読み取れない", "鮮明な画像またはPDFを添付して再申請してください。", 60),
    ("other", "その他", "", 900),
]


def forwards(apps, schema_editor):
    ReturnReason = apps.get_model("returns", "ReturnReason")
    for code, label, guidance, order in REASONS:
        ReturnReason.objects.update_or_create(
            code=code, defaults={"label": label, "guidance": guidance, "order": order}
        )


class Migration(migrations.Migration):
    dependencies = [("returns", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
