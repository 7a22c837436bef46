"""The text of a CSV file uploaded to the notices (returned mail, 特定記録 numbers): UTF-8
with or without BOM, or CP932 (Shift_JIS as Windows writes it), detected in that order."""

from __future__ import annotations

ENCODINGS = ("utf-8-sig", "cp932")
ENCODING_MESSAGE = (
    "ファイルの文字コードを読み取れません。UTF-8 または Shift_JIS(CP932) のCSVにしてください。"
)


def decode_csv(data: bytes) -> str | None:
    """The file's text, or None when it is neither UTF-8 nor CP932."""
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None
