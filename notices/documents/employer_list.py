"""対象者一覧表: the list of an employer's members in a mailing, sent to the employer in
advance; one row per record, for ``templates/notices/employer_list.typ``.

Row keys: ``no``, ``symbol_number``, ``name``, ``kana``, ``birth``, ``sex``, ``kind``,
``destination`` (where the member's mail goes). Common keys (the header): ``title``,
``employer``, ``symbol``, ``insurer_name``, ``created``, ``count``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from eligibility.models import EligibilityRecord, Employer
from notices.documents.common import era
from notices.rendering import Renderer, renderer

TEMPLATE = "employer_list.typ"

DESTINATIONS = {
    "employer": "事業所経由",
    "home": "被保険者の住所",
}


def employer_list_rows(
    records: Sequence[EligibilityRecord], *, destination: str = "home"
) -> list[dict[str, str]]:
    return [
        {
            "no": str(n),
            "symbol_number": r.symbol_number,
            "name": r.name,
            "kana": r.name_kana,
            "birth": era(r.birth_date),
            "sex": r.get_sex_display(),
            "kind": r.get_kind_display(),
            "destination": DESTINATIONS[destination],
        }
        for n, r in enumerate(records, start=1)
    ]


def employer_list_common(
    employer: Employer, *, title: str, created: date, count: int
) -> dict[str, Any]:
    return {
        "title": title,
        "employer": employer.name,
        "symbol": employer.symbol,
        "insurer_name": employer.branch.insurer_name,
        "created": era(created),
        "count": f"{count:,}",
    }


def employer_list_renderer() -> Renderer:
    return renderer(TEMPLATE)


def render_employer_list(
    employer: Employer,
    records: Sequence[EligibilityRecord],
    *,
    title: str = "資格確認書 送付対象者一覧表",
    created: date,
    destination: str = "home",
) -> bytes:
    """One PDF listing ``records`` (the employer's members in the mailing), in their order."""
    common = employer_list_common(employer, title=title, created=created, count=len(records))
    rows = employer_list_rows(records, destination=destination)
    return employer_list_renderer().render(rows, common=common)
