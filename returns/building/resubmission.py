"""The resubmission file (再申請用ファイル): a readable, signed JSON document.

Schema: ``returns/schemas/resubmission-v1.schema.json`` (served at
``/api/v1/returns/schemas/resubmission-v1.json``). Two parts:

* ``protected``: the returned application (id, 受付番号), form and version, the member fields
  of the eligibility record, the recipient (``issued_to``) and the attachment references.
  HMAC-SHA256 over its canonical JSON (sorted keys, no spaces, UTF-8) is ``signature.value``;
  ``signature.key_id`` names the key in ``RETURNS_SIGNING_KEYS`` ("id:secret,id:secret",
  the first signs, the others still verify: rotation).
* ``editable``: the entered values and the bank account, which the member may correct.

:func:`read_resubmission` refuses, with a Japanese message and nothing written, a file that
is too large, not JSON, of another format or schema version, not matching the schema,
signed with an unknown key, changed in its protected part, or issued to someone else.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core.errors import NotAllowed, ServiceError

FORMAT = "kyoukai-kenpo-resubmission"
SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "resubmission-v1.schema.json"
ALG = "HMAC-SHA256"


@dataclass(frozen=True, slots=True)
class Resubmission:
    """A verified resubmission file."""

    application_id: int
    receipt_number: str
    form_code: str
    form_version: int
    record_id: int
    attachment_ids: tuple[int, ...]
    data: dict[str, Any]
    bank_account: dict[str, Any] | None


def signing_keys() -> list[tuple[str, bytes]]:
    """(key id, secret) from ``RETURNS_SIGNING_KEYS``; the first one signs."""
    keys = []
    for item in settings.RETURNS_SIGNING_KEYS:
        key_id, sep, secret = str(item).partition(":")
        if not sep or not key_id or len(secret) < 16:
            raise ImproperlyConfigured(
                "RETURNS_SIGNING_KEYS: 'key_id:secret' items, secrets of 16+ characters"
            )
        keys.append((key_id, secret.encode()))
    if not keys:
        raise ImproperlyConfigured("RETURNS_SIGNING_KEYS is empty")
    return keys


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _mac(secret: bytes, protected: dict[str, Any]) -> str:
    return hmac.new(secret, _canonical(protected), hashlib.sha256).hexdigest()


def build_resubmission(application: Any, *, issued_to: int, issued_at: datetime) -> bytes:
    """The signed file for ``application`` (a returned one), addressed to user ``issued_to``."""
    from applications import presentation

    protected = {
        "application_id": application.pk,
        "receipt_number": application.receipt_number,
        "submitted_at": application.submitted_at.isoformat() if application.submitted_at else "",
        "form_code": application.form_code,
        "form_version": application.form_version,
        "form_name": presentation.form_name(application.form_code, application.form_version),
        "issued_to": issued_to,
        "issued_at": issued_at.isoformat(),
        "member": {
            "record_id": application.record_id,
            "symbol": application.symbol,
            "number": application.number,
            "branch_number": application.branch_number,
            "name": application.name,
            "name_kana": application.name_kana,
            "birth_date": application.birth_date.isoformat(),
        },
        "attachments": [
            {"id": a.pk, "kind": a.kind, "filename": a.original_filename, "sha256": a.sha256}
            for a in application.attachments.order_by("kind", "id")
        ],
    }
    key_id, secret = signing_keys()[0]
    document = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "protected": protected,
        "editable": {
            "data": dict(application.data or {}),
            "bank_account": _editable_bank(application.bank_account),
        },
        "signature": {"alg": ALG, "key_id": key_id, "value": _mac(secret, protected)},
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode()


def _editable_bank(account: dict[str, Any] | None) -> dict[str, Any] | None:
    if not account:
        return None
    # Labels derived on filing are not input fields.
    return {k: v for k, v in account.items() if k != "account_type_label"}


@functools.cache
def _validator() -> Any:
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _invalid(message: str, code: str) -> ServiceError:
    return ServiceError(message, code=code, field_errors={"file": [message]})


def read_resubmission(content: bytes, *, user: Any) -> Resubmission:
    """Verify a resubmission file uploaded by ``user``; ServiceError when it is refused."""
    limit = settings.RETURNS_RESUBMISSION_MAX_BYTES
    if len(content) > limit:
        raise _invalid(
            f"ファイルが大きすぎます（{limit // 1024}KBまで）。電子ポストからダウンロードした"
            "再申請用ファイル（JSON）をそのまま選択してください。",
            "too_large",
        )
    try:
        document = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise _invalid(
            "再申請用ファイルとして読み取れません（JSON形式ではありません）。電子ポストから"
            "ダウンロードした再申請用ファイルを選択してください。",
            "not_json",
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise _invalid(
            "協会けんぽの再申請用ファイルではありません。電子ポストからダウンロードした"
            "再申請用ファイルを選択してください。",
            "wrong_format",
        )
    if document.get("schema_version") != SCHEMA_VERSION:
        version = str(document.get("schema_version"))[:10]
        raise _invalid(
            f"対応していない版の再申請用ファイルです（版: {version}）。"
            "電子ポストから最新の再申請用ファイルをダウンロードし直してください。",
            "unknown_version",
        )
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.path))
    if errors:
        where = "/".join(str(p) for p in errors[0].path) or "(全体)"
        raise _invalid(
            f"再申請用ファイルの形式に誤りがあります（{where}）。電子ポストからダウンロードし直して"
            "ください。",
            "schema",
        )
    protected = document["protected"]
    signature = document["signature"]
    keys = dict(signing_keys())
    secret = keys.get(signature["key_id"])
    if secret is None or not hmac.compare_digest(_mac(secret, protected), signature["value"]):
        raise _invalid(
            "再申請用ファイルの変更できない部分（受付番号・資格情報・申請書の種類など）が"
            "変更されているため、受け付けられません。電子ポストからダウンロードし直してください。",
            "tampered",
        )
    if protected["issued_to"] != getattr(user, "pk", None):
        raise NotAllowed(
            "このファイルは別の方あての再申請用ファイルです。ご自身の電子ポストから"
            "ダウンロードしたファイルを選択してください。",
            code="other_recipient",
            field_errors={"file": ["別の方あての再申請用ファイルです。"]},
        )
    editable = document["editable"]
    return Resubmission(
        application_id=protected["application_id"],
        receipt_number=protected["receipt_number"],
        form_code=protected["form_code"],
        form_version=protected["form_version"],
        record_id=protected["member"]["record_id"],
        attachment_ids=tuple(a["id"] for a in protected["attachments"]),
        data=dict(editable["data"]),
        bank_account=dict(editable["bank_account"]) if editable["bank_account"] else None,
    )
