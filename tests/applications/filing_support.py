"""Test helpers for filing: valid input built from the catalogue itself, files, the clock.

Nothing here is specific to one form: values come from each FieldSpec, conditional fields are
filled when their condition holds, and when a form's own check needs one of its yes/no fields
to be "yes" the helper looks for that field itself.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any
from unittest import mock

from PIL import Image

from applications.forms_catalogue import (
    FieldSpec,
    FormDataError,
    FormDefinition,
    validate_form_data,
)
from core.jp.calendar import JST

#: A weekday inside the service hours (Wednesday 2026-03-11 10:00 JST).
OPEN_AT = datetime(2026, 3, 11, 10, 0, tzinfo=JST)
TODAY = OPEN_AT.date()

#: A bank account the 全銀 list knows (みずほ銀行 東京営業部).
BANK_ACCOUNT = {
    "bank_code": "0001",
    "branch_code": "001",
    "account_type": "1",
    "account_number": "1234567",
    "holder_name": "キョウカイ タロウ",
}


def sample_value(spec: FieldSpec, today: date) -> Any:
    """A valid value for one field, from its type and limits."""
    match spec.type:
        case "text" | "multiline":
            size = max(spec.min_length or 0, min(spec.max_length or 5, 5))
            return ("テスト入力値" * 20)[:size]
        case "kana":
            return "テスト"[: spec.max_length or 3]
        case "digits":
            return "1" * (spec.min_length or spec.max_length or 7)
        case "integer":
            return spec.min_value if spec.min_value is not None else 1
        case "money":
            return max(spec.min_value or 1, 10_000)
        case "date":
            return (today - timedelta(days=5)).isoformat()
        case "month":
            return f"{today:%Y-%m}"
        case "choice":
            return spec.choices[0][0]
        case "boolean":
            return False
    raise AssertionError(spec.type)


def _fill_conditionals(form: FormDefinition, data: dict[str, Any], today: date) -> None:
    for rule in form.required_when:
        holds = rule.condition.holds(data)
        if holds and data.get(rule.field) is None:
            data[rule.field] = sample_value(form.field(rule.field), today)
        elif not holds:
            data.pop(rule.field, None)


def _base(form: FormDefinition, today: date, flipped: str | None = None) -> dict[str, Any]:
    conditional = {rule.field for rule in form.required_when}
    data = {
        spec.name: sample_value(spec, today)
        for spec in form.fields
        if spec.required and spec.name not in conditional
    }
    if flipped is not None:
        data[flipped] = True
    for _ in range(3):  # conditions on conditional fields settle in a few rounds
        _fill_conditionals(form, data, today)
    return data


def valid_data(form: FormDefinition, today: date = TODAY) -> dict[str, Any]:
    """Form data that :func:`validate_form_data` accepts, found from the catalogue alone."""
    candidates = [None, *(s.name for s in form.fields if s.type == "boolean" and s.required)]
    errors: dict[str, list[str]] = {}
    for flipped in candidates:
        data = _base(form, today, flipped)
        try:
            validate_form_data(form, data, today=today)
        except FormDataError as exc:
            errors = exc.errors
            continue
        return data
    raise AssertionError(f"no valid sample for {form.code}: {errors}")


def required_attachment_codes(form: FormDefinition, data: dict[str, Any]) -> list[str]:
    cleaned = validate_form_data(form, data, today=TODAY)
    return [
        spec.code
        for spec in form.attachments
        if spec.required or (spec.required_when is not None and spec.required_when.holds(cleaned))
    ]


def png_bytes(size: int = 8, colour: str = "navy") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(out, "PNG")
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    from PIL import ExifTags

    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (35.0, 41.0, 22.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (139.0, 41.0, 30.0)
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(out, "JPEG", exif=exif)
    return out.getvalue()


def new_key() -> str:
    return uuid.uuid4().hex


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Pin applications.clock.now (what the API and the services read)."""
    with mock.patch("applications.clock.now", return_value=moment):
        yield


# --- people and requests -----------------------------------------------------------------------


def insured_member(**record: Any) -> tuple[Any, Any]:
    """A member account with an insured record of its own."""
    from tests.factories.core import MemberUserFactory
    from tests.factories.eligibility import InsuredRecordFactory

    user = MemberUserFactory()
    return user, InsuredRecordFactory(person__user=user, **record)


def dependent_member(**record: Any) -> tuple[Any, Any]:
    """A member account whose only record is a dependent's (被扶養者)."""
    from tests.factories.core import MemberUserFactory
    from tests.factories.eligibility import DependentRecordFactory

    user = MemberUserFactory()
    return user, DependentRecordFactory(person__user=user, **record)


def client_for(user: Any) -> Any:
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def identity_of(record: Any) -> dict[str, str]:
    """How an attorney names a member's record."""
    return {
        "symbol": record.symbol,
        "number": record.number,
        "branch_number": record.branch_number,
        "birth_date": record.birth_date.isoformat(),
    }


def filing_payload(
    form: FormDefinition,
    *,
    record: Any = None,
    identity: dict[str, str] | None = None,
    data: dict[str, Any] | None = None,
    files: list[tuple[str, str, bytes]] | None = None,
    bank_account: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A multipart body for POST /api/v1/applications/ with everything ``form`` needs."""
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    data = valid_data(form) if data is None else data
    if files is None:
        files = [
            (code, f"{code}.png", png_bytes()) for code in required_attachment_codes(form, data)
        ]
    payload: dict[str, Any] = {"form_code": form.code, "data": json.dumps(data), **extra}
    if record is not None:
        payload["record"] = record.pk
    payload.update(identity or {})
    if bank_account is None and form.pays_money:
        bank_account = BANK_ACCOUNT
    if bank_account is not None:
        payload["bank_account"] = json.dumps(bank_account)
    if files:
        payload["attachments"] = [SimpleUploadedFile(name, content) for _, name, content in files]
        payload["attachment_kinds"] = [kind for kind, _, _ in files]
    return payload


def submit(client: Any, payload: dict[str, Any], *, key: str | None = None, at: datetime = OPEN_AT,
           query: str = "") -> Any:
    """POST the payload at ``at`` (pinned clock) with an Idempotency-Key."""
    from django.urls import reverse

    headers = {"HTTP_IDEMPOTENCY_KEY": key or new_key()}
    with clock_at(at):
        return client.post(reverse("api-applications") + query, payload, format="multipart",
                           **headers)


def stored_files(root: str) -> list[str]:
    from pathlib import Path

    base = Path(root)
    return sorted(str(p.relative_to(base)) for p in base.rglob("*") if p.is_file())
