"""Writes to persons and eligibility records. Each write is validated, locked where it
updates, and leaves an AuditEvent with the diff (who, when, what changed).

Each write takes the actor and checks, itself, that they may make it: the permission of the
write, and the branch scope of the row and of every reference set on it (branch, person,
employer, insured person's record). A branch's staff write only their branch's rows and refer
only to their branch's rows; headquarters writes everywhere. The admin's querysets and form
choices are a second wall, not the only one. A refusal is :class:`core.errors.NotAllowed`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest

from core.audit import model_changes, record_event
from core.errors import INVALID_INPUT_MESSAGE, Conflict, NotAllowed, ServiceError
from core.jp.errors import JapaneseValueError
from core.jp.kana import normalize_digits, validate_katakana
from core.models import AuditEvent, User
from core.personal_ids import protect_my_number
from eligibility.models import EligibilityRecord, Employer, Person
from eligibility.selectors import normalize_branch_number, persons_in_scope

Action = AuditEvent.Action

#: Bookkeeping fields left out of diffs.
_UNTRACKED = frozenset({"id", "created_at", "updated_at"})
#: Person fields never written here (the My Number goes through person_set_my_number) and
#: never put in an audit diff.
_PERSON_PROTECTED = frozenset({"my_number_last4", "my_number_hash"})
_DIGIT_FIELDS = ("symbol", "number")

ADD_RECORD = "eligibility.add_eligibilityrecord"
CHANGE_RECORD = "eligibility.change_eligibilityrecord"
ADD_PERSON = "eligibility.add_person"
CHANGE_PERSON = "eligibility.change_person"
VIEW_MY_NUMBER = "eligibility.view_my_number"

#: The references of a record a writer sets, with the label its messages use.
RECORD_REFERENCES: dict[str, str] = {
    "branch": "支部",
    "person": "加入者",
    "employer": "事業所",
    "insured_record": "被保険者の資格情報",
}
_NO_PERMISSION = "この操作を行う権限がありません。"
_NOT_IN_SCOPE = "この{label}は存在しないか、あなたの支部では扱えません。"


# --- who may write what -----------------------------------------------------------------


def _ensure_permission(actor: Any, *permissions: str) -> None:
    """Active staff with every one of ``permissions``; NotAllowed otherwise."""
    if not (
        getattr(actor, "is_authenticated", False)
        and getattr(actor, "is_active", False)
        and getattr(actor, "is_staff", False)
        and getattr(actor, "kind", None) == User.Kind.STAFF
        and all(actor.has_perm(p) for p in permissions)
    ):
        raise NotAllowed(_NO_PERMISSION)


def _branch_in_scope(actor: Any, branch_id: int | None) -> bool:
    if actor.is_headquarters:
        return branch_id is not None
    return branch_id is not None and branch_id == actor.branch_id


def person_in_scope(actor: Any, person_id: int | None) -> bool:
    """A person the actor may write or refer a record to (selectors.persons_in_scope)."""
    if person_id is None:
        return False
    return persons_in_scope(user=actor).filter(pk=person_id).exists()


def _id(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return value.pk if isinstance(value, models.Model) else int(value)


def record_reference_problems(*, actor: Any, data: Mapping[str, Any]) -> dict[str, list[str]]:
    """Field → message for each reference in ``data`` (model instances or ids) outside the
    actor's scope: a branch not theirs, another branch's person, employer or insured person's
    record. {} when every reference given may be set. Used by the services and the admin
    form (so the form shows the same refusal as a field error)."""
    problems: dict[str, list[str]] = {}

    def refuse(name: str) -> None:
        problems[name] = [_NOT_IN_SCOPE.format(label=RECORD_REFERENCES[name])]

    if "branch" in data and not _branch_in_scope(actor, _id(data["branch"])):
        refuse("branch")
    if "person" in data and not person_in_scope(actor, _id(data["person"])):
        refuse("person")
    if "employer" in data and (employer_id := _id(data["employer"])) is not None:
        branch_id = (
            Employer.objects.filter(pk=employer_id).values_list("branch_id", flat=True).first()
        )
        if not _branch_in_scope(actor, branch_id):
            refuse("employer")
    if "insured_record" in data and (insured_id := _id(data["insured_record"])) is not None:
        branch_id = (
            EligibilityRecord.objects.filter(pk=insured_id)
            .values_list("branch_id", flat=True)
            .first()
        )
        if not _branch_in_scope(actor, branch_id):
            refuse("insured_record")
    return problems


def _ensure_references(actor: Any, data: Mapping[str, Any]) -> None:
    problems = record_reference_problems(actor=actor, data=data)
    if problems:
        raise NotAllowed(
            "他の支部の情報は指定できません。入力内容を確認してください。",
            field_errors=problems,
        )


def person_account_problems(*, actor: Any, user: Any) -> list[str]:
    """Why ``actor`` may not link ``user`` (a User, an id or None) to a person: only
    headquarters links accounts, and only members' accounts."""
    if not actor.is_headquarters:
        return ["加入者アカウントの紐付けは本部のみ変更できます。"]
    user_id = _id(user)
    if user_id is not None and not User.objects.filter(pk=user_id, kind=User.Kind.MEMBER).exists():
        return ["加入者のアカウントを指定してください（職員・社会保険労務士のアカウントは不可）。"]
    return []


def snapshot(obj: models.Model, *, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Field name → stored value (foreign keys as ids) of the concrete fields."""
    return {
        field.name: getattr(obj, field.attname)
        for field in obj._meta.concrete_fields
        if field.name not in _UNTRACKED and field.name not in exclude
    }


def _normalised_record_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """Digits made ASCII, 枝番 zero-padded, フリガナ validated as full-width katakana."""
    out = dict(data)
    for name in _DIGIT_FIELDS:
        if isinstance(out.get(name), str):
            out[name] = normalize_digits(out[name])
    if isinstance(out.get("branch_number"), str):
        out["branch_number"] = normalize_branch_number(out["branch_number"])
    if "name_kana" in out:
        try:
            out["name_kana"] = validate_katakana(str(out["name_kana"] or ""))
        except JapaneseValueError as exc:
            raise ServiceError(
                INVALID_INPUT_MESSAGE, code="invalid", field_errors={"name_kana": [exc.message]}
            ) from exc
    return out


def _full_clean(obj: models.Model) -> None:
    """The model's own checks; their refusal becomes a ServiceError with its field messages."""
    try:
        obj.full_clean()
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        raise ServiceError(INVALID_INPUT_MESSAGE, code="invalid", field_errors=fields) from None


def _assign(obj: models.Model, data: Mapping[str, Any], *, forbidden: frozenset[str]) -> None:
    names = {f.name for f in obj._meta.concrete_fields} - _UNTRACKED - forbidden
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"not writable here: {', '.join(sorted(unknown))}")
    for name, value in data.items():
        setattr(obj, name, value)


@transaction.atomic
def record_create(
    *,
    actor: Any,
    data: Mapping[str, Any],
    request: HttpRequest | None = None,
    instance: EligibilityRecord | None = None,
) -> EligibilityRecord:
    """Create a record from ``data`` (field name → value). ``instance``: an unsaved record to
    fill and save (the admin form's), else a new one. Raises ServiceError."""
    _ensure_permission(actor, ADD_RECORD)
    record = instance if instance is not None else EligibilityRecord()
    if not record._state.adding:
        raise ValueError("record_create() takes an unsaved record")
    # Every reference is checked, given or not: a record always has a branch and a person.
    _ensure_references(actor, {"branch": None, "person": None, **data})
    _assign(record, _normalised_record_data(data), forbidden=frozenset())
    _full_clean(record)
    record.save()
    record_event(
        actor=actor,
        action=Action.CREATE,
        obj=record,
        changes=model_changes({}, snapshot(record)),
        request=request,
    )
    return record


@transaction.atomic
def record_update(
    *,
    record: EligibilityRecord,
    actor: Any,
    data: Mapping[str, Any],
    request: HttpRequest | None = None,
) -> EligibilityRecord:
    """Change the fields in ``data`` on the row, locked (SELECT … FOR UPDATE) so that two
    staff saving at once both end up in the audit trail with the right "before".

    Returns the saved row; writes an AuditEvent (update) with field → [old, new] when
    something changed. Raises ServiceError.
    """
    _ensure_permission(actor, CHANGE_RECORD)
    locked = EligibilityRecord.objects.select_for_update().get(pk=record.pk)
    if not _branch_in_scope(actor, locked.branch_id):
        raise NotAllowed(_NOT_IN_SCOPE.format(label="資格情報"))
    _ensure_references(actor, {k: v for k, v in data.items() if k in RECORD_REFERENCES})
    before = snapshot(locked)
    _assign(locked, _normalised_record_data(data), forbidden=frozenset())
    _full_clean(locked)
    changes = model_changes(before, snapshot(locked))
    if changes:
        locked.save()
        record_event(
            actor=actor, action=Action.UPDATE, obj=locked, changes=changes, request=request
        )
    return locked


@transaction.atomic
def person_create(
    *,
    actor: Any,
    data: Mapping[str, Any],
    request: HttpRequest | None = None,
    instance: Person | None = None,
) -> Person:
    """Create a person from plain fields (the My Number goes through person_set_my_number)."""
    _ensure_permission(actor, ADD_PERSON)
    person = instance if instance is not None else Person()
    if not person._state.adding:
        raise ValueError("person_create() takes an unsaved person")
    if _id(data.get("user")) is not None:
        _ensure_person_account(actor, data["user"])
    _assign(person, data, forbidden=_PERSON_PROTECTED)
    _full_clean(person)
    person.save()
    record_event(
        actor=actor,
        action=Action.CREATE,
        obj=person,
        changes=model_changes({}, snapshot(person, exclude=_PERSON_PROTECTED)),
        request=request,
    )
    return person


@transaction.atomic
def person_update(
    *,
    person: Person,
    actor: Any,
    data: Mapping[str, Any],
    request: HttpRequest | None = None,
) -> Person:
    """Change a person's plain fields (マイナ保険証 status, account); never the My Number."""
    _ensure_permission(actor, CHANGE_PERSON)
    locked = Person.objects.select_for_update().get(pk=person.pk)
    if not person_in_scope(actor, locked.pk):
        raise NotAllowed(_NOT_IN_SCOPE.format(label="加入者"))
    if "user" in data and _id(data["user"]) != locked.user_id:
        _ensure_person_account(actor, data["user"])
    before = snapshot(locked, exclude=_PERSON_PROTECTED)
    _assign(locked, data, forbidden=_PERSON_PROTECTED)
    _full_clean(locked)
    changes = model_changes(before, snapshot(locked, exclude=_PERSON_PROTECTED))
    if changes:
        locked.save()
        record_event(
            actor=actor,
            action=Action.UPDATE,
            obj=locked,
            branch_id=person_branch_id(locked),
            changes=changes,
            request=request,
        )
    return locked


@transaction.atomic
def person_set_my_number(
    *, person: Person, raw: str, actor: Any, request: HttpRequest | None = None
) -> Person:
    """Register or replace a person's My Number: validated (check digit), reduced to its
    last four digits and keyed hash (core.personal_ids). The number itself is kept nowhere,
    not even in the audit trail, which records only that it was set.

    Raises ServiceError (field ``my_number``) when invalid or registered to someone else.
    """
    _ensure_permission(actor, CHANGE_PERSON, VIEW_MY_NUMBER)
    try:
        protected = protect_my_number(raw)
    except JapaneseValueError as exc:
        raise ServiceError(
            exc.message, code="invalid", field_errors={"my_number": [exc.message]}
        ) from exc
    locked = Person.objects.select_for_update().get(pk=person.pk)
    if not person_in_scope(actor, locked.pk):
        raise NotAllowed(_NOT_IN_SCOPE.format(label="加入者"))
    if locked.my_number_hash == protected.digest:
        return locked
    if Person.objects.filter(my_number_hash=protected.digest).exclude(pk=locked.pk).exists():
        message = "この個人番号は別の加入者に登録されています。"
        raise Conflict(message, code="my_number_taken", field_errors={"my_number": [message]})
    had_number = bool(locked.my_number_hash)
    locked.my_number_last4 = protected.last4
    locked.my_number_hash = protected.digest
    locked.save(update_fields=["my_number_last4", "my_number_hash", "updated_at"])
    record_event(
        actor=actor,
        action=Action.UPDATE,
        obj=locked,
        branch_id=person_branch_id(locked),
        changes={"my_number": ["登録済" if had_number else "未登録", "登録（変更）"]},
        request=request,
    )
    # The caller's instance reflects the change too.
    person.my_number_last4, person.my_number_hash = locked.my_number_last4, locked.my_number_hash
    return locked


def _ensure_person_account(actor: Any, user: Any) -> None:
    problems = person_account_problems(actor=actor, user=user)
    if problems:
        raise NotAllowed(problems[0], field_errors={"user": problems})


def person_branch_id(person: Person) -> int | None:
    """The branch an event about a person is filed under: that of the latest record."""
    return (
        EligibilityRecord.objects.filter(person_id=person.pk)
        .order_by("-acquired_on", "-id")
        .values_list("branch_id", flat=True)
        .first()
    )


def log_view(
    *,
    actor: Any,
    obj: models.Model,
    request: HttpRequest | None = None,
    branch_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """An AuditEvent (view): staff opened personal data."""
    return record_event(
        actor=actor,
        action=Action.VIEW,
        obj=obj,
        branch_id=branch_id,
        changes=detail,
        request=request,
    )
