"""The usage CSV upload form (本部)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django import forms

from myna.imports import ALL_OR_NOTHING, GOOD_ROWS

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class UsageImportForm(forms.Form):
    file = forms.FileField(
        label="CSVファイル",
        help_text="UTF-8 または Shift_JIS。列: 年月・区分・都道府県・マイナ保険証利用件数・"
        "オンライン資格確認利用件数。",
    )
    mode = forms.ChoiceField(
        label="取込方法",
        choices=[
            (ALL_OR_NOTHING, "誤りが1件でもあれば取り込まない"),
            (GOOD_ROWS, "正しい行だけ取り込む"),
        ],
        initial=ALL_OR_NOTHING,
    )

    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("ファイルが大きすぎます（10MBまで）。")
        return upload

    def save_upload(self) -> Path:
        """The upload in a temporary file (the caller deletes it)."""
        with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as out:
            for chunk in self.cleaned_data["file"].chunks():
                out.write(chunk)
        return Path(out.name)
