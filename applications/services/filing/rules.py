"""Who may file which form with which record, and when (service hours); the record filed with."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from applications.forms_catalogue import FormDataError, FormDefinition, all_forms
from applications.selectors import own_record, record_by_identity
from applications.services.filing.errors import FilingNotAllowed, ServiceClosed
from core.jp.calendar import JST, is_service_open, next_service_opening, service_closed_message
from core.models import User
from eligibility.models import EligibilityRecord
from eligibility.selectors import records_for_member

Kind = EligibilityRecord.Kind


#: The permission a staff user needs to file for a member (core.roles.REVIEWER has it).
FILE_PERMISSION = "applications.add_application"
_STAFF_REFUSED = "電子申請を行う権限がありません。"


def is_filing_staff(user: Any) -> bool:
    """Active staff allowed to file for a member (paper intake)."""
    return bool(
        getattr(user, "kind", None) == User.Kind.STAFF
        and getattr(user, "is_staff", False)
        and getattr(user, "is_active", False)
        and user.has_perm(FILE_PERMISSION)
    )


def _is_applicant(user: Any) -> bool:
    return bool(getattr(user, "is_member", False) or getattr(user, "is_attorney", False))


def ensure_service_open(*, user: Any, now: datetime) -> None:
    """Raise :class:`ServiceClosed` outside the service hours; staff are not limited, nor
    anyone when the demo setting ``FILING_ANY_HOUR`` is on."""
    if is_filing_staff(user) or settings.FILING_ANY_HOUR or is_service_open(now):
        return
    raise ServiceClosed(message=service_closed_message(now), reopens_at=next_service_opening(now))


def may_file(*, user: Any, record: EligibilityRecord, form: FormDefinition) -> None:
    """Raise :class:`FilingNotAllowed` unless ``user`` may file ``form`` with ``record``."""
    if getattr(user, "is_member", False):
        if record.person.user_id != user.pk:
            raise FilingNotAllowed(
                _("選択された資格情報では申請できません。ご本人の資格情報を選択してください。")
            )
    elif getattr(user, "is_attorney", False):
        if not form.attorneys_may_file:
            raise FilingNotAllowed(
                _(
                    "「%(form)s」は保健事業の申請書のため、社会保険労務士の方は電子申請できません。"
                    "加入者ご本人が申請してください。"
                )
                % {"form": _(form.name)}
            )
    elif not is_filing_staff(user):
        raise FilingNotAllowed(_STAFF_REFUSED)
    elif not (user.is_headquarters or record.branch_id == user.branch_id):
        # Staff file only for their branch's members (headquarters: any branch).
        raise FilingNotAllowed("他の支部の資格情報では申請できません。")
    if record.kind == Kind.DEPENDENT and not form.dependents_may_file:
        raise FilingNotAllowed(
            _(
                "「%(form)s」は被扶養者（ご家族）の資格では申請できません。"
                "被保険者の方の資格情報で申請してください。"
            )
            % {"form": _(form.name)}
        )


def forms_for(*, user: Any) -> list[FormDefinition]:
    """The forms (latest versions) ``user`` may file with at least one of their records.

    A member with only dependent records sees the forms dependents may file; attorneys see
    all but 保健事業; staff see every form.
    """
    forms = list(all_forms())
    if is_filing_staff(user):
        return forms
    if getattr(user, "is_attorney", False):
        return [f for f in forms if f.attorneys_may_file]
    if not getattr(user, "is_member", False):
        return []
    kinds = set(records_for_member(user=user).values_list("kind", flat=True).distinct())
    if kinds - {Kind.DEPENDENT}:
        return forms
    if kinds:
        return [f for f in forms if f.dependents_may_file]
    return []


def filing_record(
    *,
    user: Any,
    now: datetime,
    record_id: int | None = None,
    symbol: str | None = None,
    number: str | None = None,
    branch_number: str | None = None,
    birth_date: date | None = None,
) -> EligibilityRecord:
    """The record an application is filed with (資格選択).

    Members choose one of their own records by id. Attorneys (and staff) name it by
    記号・番号・枝番 and 生年月日, which must all match; for attorneys the record must also be
    eligible today (JST). Raises :class:`FormDataError` (``record``, or the missing inputs),
    or :class:`FilingNotAllowed` for a user who may not file at all (before any look-up, so
    that nobody else learns whether a record exists).
    """
    if not _is_applicant(user) and not is_filing_staff(user):
        raise FilingNotAllowed(_STAFF_REFUSED)
    if getattr(user, "is_member", False):
        if record_id is None:
            raise FormDataError({"record": [_("申請に使う資格情報を選択してください。")]})
        record = own_record(user=user, record_id=record_id)
        if record is None:
            raise FormDataError(
                {
                    "record": [
                        _(
                            "選択された資格情報が見つかりません。"
                            "資格情報の一覧から選択し直してください。"
                        )
                    ]
                }
            )
        return record

    if record_id is not None:
        raise FormDataError(
            {"record": ["資格情報は記号・番号・枝番と生年月日で指定してください。"]}
        )
    given = {"symbol": symbol, "number": number, "branch_number": branch_number}
    missing = {
        name: [message]
        for (name, value), message in zip(
            given.items(),
            (
                _("記号を入力してください。"),
                _("番号を入力してください。"),
                _("枝番を入力してください。"),
            ),
            strict=True,
        )
        if not (value or "").strip()
    }
    if birth_date is None:
        missing["birth_date"] = [_("生年月日を入力してください。")]
    if missing:
        raise FormDataError(missing)
    assert symbol and number and branch_number and birth_date
    attorney = getattr(user, "is_attorney", False)
    matches = record_by_identity(
        symbol=symbol,
        number=number,
        branch_number=branch_number,
        birth_date=birth_date,
        current_on=now.astimezone(JST).date() if attorney else None,
        staff=None if attorney else user,
    )
    if not matches:
        message = (
            _(
                "記号・番号・枝番・生年月日のすべてに一致する本日時点で有効な資格情報が"
                "見つかりません。資格情報のお知らせ等で記号・番号・枝番と、"
                "加入者の生年月日を確認してください。"
            )
            if attorney
            else _(
                "記号・番号・枝番・生年月日のすべてに一致する資格情報が見つかりません。"
                "資格情報のお知らせ等で記号・番号・枝番と、加入者の生年月日を確認してください。"
            )
        )
        raise FormDataError({"record": [message]})
    if len(matches) > 1:
        raise FormDataError(
            {
                "record": [
                    _(
                        "記号・番号・枝番・生年月日に一致する資格情報が複数あるため特定できません。"
                        "協会けんぽの支部にお問い合わせください。"
                    )
                ]
            }
        )
    return matches[0]
