"""返戻理由のお知らせ: the notice of the return reasons as a PDF (WeasyPrint, A4, Japanese).

:func:`render_notice` takes a plain :class:`Notice` (no models) and returns PDF bytes. Text
is real text; WeasyPrint embeds and subsets the fonts: Noto Sans CJK JP, with IPAmj Mincho as
the fallback for name characters outside JIS levels 1–2 (外字). One ``FontConfiguration`` is
shared by every render in the process (a new one per render costs memory and time).
The template has no external resources (inline CSS, no images, no URLs).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string

TEMPLATE = "returns/reasons_notice.html"


@dataclass(frozen=True, slots=True)
class NoticeReason:
    label: str
    field_label: str
    text: str
    guidance: str = ""


@dataclass(frozen=True, slots=True)
class Notice:
    """Everything printed on the notice, already formatted (dates in 和暦)."""

    addressee: str
    postal_code: str
    address: str
    on_behalf_of: str
    branch_name: str
    branch_postal_code: str
    branch_address: str
    branch_phone: str
    contact: str
    issued_on: str
    form_name: str
    receipt_number: str
    received_on: str
    member_name: str
    symbol: str
    number: str
    branch_number: str
    reasons: tuple[NoticeReason, ...] = field(default=())


@functools.cache
def _weasyprint() -> Any:
    """Import WeasyPrint without its process-wide side effect: importing it sets Pillow's
    ``ImageFile.LOAD_TRUNCATED_IMAGES = True``, which would make the upload checks
    (core.uploads) accept truncated images in the same process. The notice has no images."""
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    import weasyprint
    import weasyprint.text.fonts

    ImageFile.LOAD_TRUNCATED_IMAGES = before
    return weasyprint


@functools.cache
def font_config() -> Any:
    """The process's one WeasyPrint font configuration."""
    return _weasyprint().text.fonts.FontConfiguration()


def notice_html(notice: Notice) -> str:
    return render_to_string(TEMPLATE, {"n": notice})


def render_notice(notice: Notice) -> bytes:
    """The notice as PDF bytes."""
    html = _weasyprint().HTML(string=notice_html(notice), base_url=None)
    return html.write_pdf(font_config=font_config())
