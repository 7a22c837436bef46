"""資格確認書: the 有効期限 rule, and one item per eligibility record for
``templates/notices/certificate.typ`` (a card-size certificate on an A4 carrier sheet, and
the enclosed マイナ保険証 flyer as its second page).

Item keys (strings): ``postal``, ``address``, ``recipient``, ``inquiry``, ``qr``, ``name``,
``birth``, ``sex``, ``symbol_number``, ``acquired_label`` (資格取得年月日 or 認定年月日),
``acquired``, ``insured_name`` (dependents; "" otherwise), ``employer``, ``insurer_number``,
``insurer_name``, ``insurer_address``, ``issued``, ``expires``, ``ratio`` and
``ratio_from`` (70–74 only; "" otherwise), ``contact``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from django.conf import settings

from core.jp.errors import JapaneseValueError
from eligibility.models import EligibilityRecord
from eligibility.rules.burden import birthday_in, late_elderly_date, seventy_plus_start
from eligibility.selectors import burden_ratio_for
from notices.documents.common import contact, era, home, insurer_address, management_payload
from notices.rendering import Renderer, qr_code, renderer

TEMPLATE = "certificate.typ"
PAGES_PER_ITEM = 2  # the carrier sheet with the certificate, the flyer

# 任意継続被保険者: at most two years (健康保険法 第38条). Their certificate never outlives it.
VOLUNTARY_MAX_YEARS = 2

Kind = EligibilityRecord.Kind


def _years_later(d: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 1 March in a common year."""
    return birthday_in(d, d.year + years)


def certificate_expiry(
    *, issued: date, birth: date, years: int, coverage_end: date | None = None
) -> date:
    """有効期限 of a 資格確認書 issued on ``issued``: the earliest of

    - the day before the ``years``-th anniversary of issue (up to 5 years, set by the insurer:
      ``settings.NOTICE_CERTIFICATE_VALID_YEARS``),
    - the day before the 75th birthday (後期高齢者医療 from the birthday),
    - ``coverage_end``, the last day of a known end of cover (任意継続's two years, a loss
      of eligibility already recorded, a dependent's insured person reaching 75).

    Raises :class:`JapaneseValueError` ``"not_covered"`` when that day is before ``issued``.
    """
    if not 1 <= years <= 5:
        raise JapaneseValueError("years", "有効期間は1年以上5年以内です")
    candidates = [
        _years_later(issued, years) - timedelta(days=1),
        late_elderly_date(birth) - timedelta(days=1),
    ]
    if coverage_end is not None:
        candidates.append(coverage_end)
    expiry = min(candidates)
    if expiry < issued:
        raise JapaneseValueError("not_covered", "交付日に資格がないため資格確認書を交付できません")
    return expiry


def coverage_end(record: EligibilityRecord) -> date | None:
    """The last covered day known now: the recorded loss, 任意継続's two years (the insured
    person's, for a dependent), and for a dependent the day before the insured turns 75."""
    ends: list[date] = []
    if record.lost_on:
        ends.append(record.lost_on - timedelta(days=1))
    insured = record.insured_record if record.kind == Kind.DEPENDENT else record
    if insured is not None and insured is not record:
        ends.append(late_elderly_date(insured.birth_date) - timedelta(days=1))
        if insured.lost_on:
            ends.append(insured.lost_on - timedelta(days=1))
    if insured is not None and insured.kind == Kind.VOLUNTARY:
        ends.append(_years_later(insured.acquired_on, VOLUNTARY_MAX_YEARS) - timedelta(days=1))
    return min(ends) if ends else None


def record_expiry(record: EligibilityRecord, *, issued: date) -> date:
    return certificate_expiry(
        issued=issued,
        birth=record.birth_date,
        years=settings.NOTICE_CERTIFICATE_VALID_YEARS,
        coverage_end=coverage_end(record),
    )


def ratio_block(record: EligibilityRecord, *, issued: date) -> tuple[str, str]:
    """(負担割合, 発効年月日) for a member aged 70–74 on ``issued``; ("", "") otherwise."""
    start = seventy_plus_start(record.birth_date)
    if not start <= issued < late_elderly_date(record.birth_date):
        return "", ""
    ratio = burden_ratio_for(record, on=issued)
    if ratio is None:
        return "", ""
    return f"{ratio}割", era(max(start, record.acquired_on))


def certificate_item(record: EligibilityRecord, *, issued: date, inquiry: str) -> dict[str, str]:
    """The certificate of one record. Select ``branch``, ``employer`` and ``insured_record``."""
    branch = record.branch
    postal_code, address = home(record)
    dependent = record.kind == Kind.DEPENDENT
    ratio, ratio_from = ratio_block(record, issued=issued)
    employer = record.employer.name if record.employer_id else ""
    if record.kind == Kind.VOLUNTARY:
        employer = "任意継続"
    return {
        "postal": postal_code,
        "address": address,
        "recipient": record.name,
        "inquiry": inquiry,
        "qr": qr_code(management_payload("certificate", inquiry)),
        "name": record.name,
        "birth": era(record.birth_date),
        "sex": record.get_sex_display(),
        "symbol_number": record.symbol_number,
        "acquired_label": "認定年月日" if dependent else "資格取得年月日",
        "acquired": era(record.acquired_on),
        "insured_name": record.insured_record.name if dependent else "",
        "employer": employer,
        "insurer_number": branch.insurer_number,
        "insurer_name": branch.insurer_name,
        "insurer_address": insurer_address(branch),
        "issued": era(issued),
        "expires": era(record_expiry(record, issued=issued)),
        "ratio": ratio,
        "ratio_from": ratio_from,
        "contact": contact(branch),
    }


def certificate_renderer() -> Renderer:
    return renderer(TEMPLATE)


def render_certificates(
    records: Iterable[EligibilityRecord], *, issued: date, inquiries: Mapping[int, str]
) -> bytes:
    """One PDF of the certificates of ``records`` (``inquiries``: record id → お問い合わせ番号)."""
    items = [certificate_item(r, issued=issued, inquiry=inquiries[r.pk]) for r in records]
    return certificate_renderer().render(items, common=certificate_common())


def certificate_common() -> dict[str, Any]:
    return {}
