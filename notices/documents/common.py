"""What the notices' items share: postal codes, the insurer block, masked My Number, QR codes."""

from __future__ import annotations

from datetime import date

from core.jp.era import format_wareki
from core.models import Branch
from eligibility.models import EligibilityRecord

# 協会けんぽマイナンバー専用ダイヤル (seed 002).
MY_NUMBER_DIAL = "協会けんぽマイナンバー専用ダイヤル 0570-015-369（ナビダイヤル）"

# What the management QR code holds: a prefix naming the document, then the inquiry number
# (お問い合わせ番号) of the mailing item. Nothing personal.
QR_PREFIXES = {"notice": "KKN1", "certificate": "KKC1"}


def postal(code: str) -> str:
    """〒NNN-NNNN, or "" when the record has no postal code."""
    digits = (code or "").replace("-", "")
    return f"〒{digits[:3]}-{digits[3:]}" if len(digits) == 7 else ""


def era(d: date | None) -> str:
    return format_wareki(d) if d else ""


def masked_my_number(last4: str) -> str:
    """``**** **** 1234``: the only digits of a My Number a document may show."""
    return f"**** **** {last4}" if last4 else ""


def contact(branch: Branch) -> str:
    """The branch's contact lines as printed (the dedicated My Number dial last)."""
    lines = [line.strip() for line in (branch.contact_lines or "").splitlines() if line.strip()]
    if not lines:
        lines = [branch.insurer_name]
        if branch.phone:
            lines.append(f"TEL {branch.phone}")
    return "\n".join([*lines, MY_NUMBER_DIAL])


def insurer_address(branch: Branch) -> str:
    return " ".join(part for part in (postal(branch.postal_code), branch.address) if part)


def home(record: EligibilityRecord) -> tuple[str, str]:
    """(postal code, address) of the member: a dependent without one takes the insured's."""
    if not record.address and record.insured_record_id:
        insured = record.insured_record
        return postal(insured.postal_code), insured.address
    return postal(record.postal_code), record.address


def management_payload(document: str, inquiry: str) -> str:
    return f"{QR_PREFIXES[document]}-{inquiry}"
