"""Writes to persons and eligibility records. Each write is validated, locked where it
updates, and leaves an AuditEvent with the diff (who, when, what changed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest

from core.audit import model_changes, record_event
from core.jp.errors import JapaneseValueError
from core.jp.kana import normalize_digits, validate_katakana
from core.models import AuditEvent
from core.personal_ids import protect_my_number
from eligibility.models import EligibilityRecord, Person
from eligibility.selectors import normalize_branch_number

Action = AuditEvent.Action

#: Bookkeeping fields left out of diffs.
_UNTRACKED = frozenset({"id", "created_at", "updated_at"})
#: Person fields never written here (the My Number goes through person_set_my_number) and
#: never put in an audit diff.
_PERSON_PROTECTED = frozenset({"my_number_last4", "my_number_hash"})
_DIGIT_FIELDS = ("symbol", "number")


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
            raise ValidationError({"name_kana": exc.message}) from exc
    return out


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
    fill and save (the admin form's), else a new one. Raises ValidationError."""
    record = instance if instance is not None else EligibilityRecord()
    if not record._state.adding:
        raise ValueError("record_create() takes an unsaved record")
    _assign(record, _normalised_record_data(data), forbidden=frozenset())
    record.full_clean()
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
    something changed. Raises ValidationError.
    """
    locked = EligibilityRecord.objects.select_for_update().get(pk=record.pk)
    before = snapshot(locked)
    _assign(locked, _normalised_record_data(data), forbidden=frozenset())
    locked.full_clean()
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
    person = instance if instance is not None else Person()
    if not person._state.adding:
        raise ValueError("person_create() takes an unsaved person")
    _assign(person, data, forbidden=_PERSON_PROTECTED)
    person.full_clean()
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
    locked = Person.objects.select_for_update().get(pk=person.pk)
    before = snapshot(locked, exclude=_PERSON_PROTECTED)
    _assign(locked, data, forbidden=_PERSON_PROTECTED)
    locked.full_clean()
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

    Raises ValidationError (field ``my_number``) when invalid or registered to someone else.
    """
    try:
        protected = protect_my_number(raw)
    except JapaneseValueError as exc:
        raise ValidationError({"my_number": exc.message}) from exc
    locked = Person.objects.select_for_update().get(pk=person.pk)
    if locked.my_number_hash == protected.digest:
        return locked
    if Person.objects.filter(my_number_hash=protected.digest).exclude(pk=locked.pk).exists():
        raise ValidationError({"my_number": "この個人番号は別の加入者に登録されています。"})
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
