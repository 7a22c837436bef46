"""資格情報のお知らせ: one item per eligibility record, for ``templates/notices/notice.typ``.

Item keys (all strings): ``postal``, ``address``, ``recipient``, ``symbol``, ``number``,
``inquiry``, ``qr`` (the management QR code, SVG), ``insurer_name``, ``insurer_number``,
``contact``, ``symbol_number``, ``name``, ``kana``, ``birth``, ``ratio``, ``acquired``,
``my_number`` (``**** **** 1234`` or "" when none is registered). Common keys:
``as_of_text`` (the extraction date in the era) and ``portal_qr``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.conf import settings

from eligibility.models import EligibilityRecord
from eligibility.selectors import burden_ratio_for
from notices.documents.common import (
    contact,
    era,
    home,
    management_payload,
    masked_my_number,
)
from notices.rendering import Renderer, qr_code, renderer

TEMPLATE = "notice.typ"
PAGES_PER_ITEM = 2  # 表 and 裏


def ratio_text(ratio: int | None) -> str:
    return f"{ratio}割" if ratio else "－"


def notice_common(*, as_of: date) -> dict[str, Any]:
    return {"as_of_text": era(as_of), "portal_qr": qr_code(settings.NOTICE_MYNAPORTAL_URL)}


def notice_item(record: EligibilityRecord, *, as_of: date, inquiry: str) -> dict[str, str]:
    """The notice of one record. Select ``branch``, ``person`` and ``insured_record`` with it.

    ``as_of``: the extraction date (負担割合 as of it); ``inquiry``: the お問い合わせ番号 of the
    mailing item, unique per item.
    """
    branch = record.branch
    postal_code, address = home(record)
    return {
        "postal": postal_code,
        "address": address,
        "recipient": record.name,
        "symbol": record.symbol,
        "number": record.number,
        "inquiry": inquiry,
        "qr": qr_code(management_payload("notice", inquiry)),
        "insurer_name": branch.insurer_name,
        "insurer_number": branch.insurer_number,
        "contact": contact(branch),
        "symbol_number": record.symbol_number,
        "name": record.name,
        "kana": record.name_kana,
        "birth": era(record.birth_date),
        "ratio": ratio_text(burden_ratio_for(record, on=as_of)),
        "acquired": era(record.acquired_on),
        "my_number": masked_my_number(record.person.my_number_last4),
    }


def notice_renderer() -> Renderer:
    return renderer(TEMPLATE)


def render_notices(
    records: Iterable[EligibilityRecord], *, as_of: date, inquiries: Mapping[int, str]
) -> bytes:
    """One PDF of the notices of ``records`` (``inquiries``: record id → お問い合わせ番号)."""
    items = [notice_item(r, as_of=as_of, inquiry=inquiries[r.pk]) for r in records]
    return notice_renderer().render(items, common=notice_common(as_of=as_of))
