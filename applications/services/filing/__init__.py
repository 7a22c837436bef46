"""Filing electronic applications (電子申請): drafts and submissions by members and attorneys.

The rules (seed 000 and the issue):

* Who: insured persons (被保険者, 任意継続被保険者) file every form; dependents (被扶養者) only
  forms with ``dependents_may_file``; 社会保険労務士 every form but 保健事業
  (``attorneys_may_file``), on behalf of a member identified by 記号・番号・枝番 and 生年月日 of a
  record eligible on the day; staff who take in paper applications (the permission
  ``applications.add_application``: the role 審査担当) file any form for a record of their
  branch, headquarters for any branch; every other staff account (発送担当, 管理者 without the
  role) is refused with :class:`FilingNotAllowed` (403).
* When: members and attorneys submit on business days 08:00–21:00 JST
  (:mod:`core.jp.calendar`); staff at any time; drafts at any time.
* What: the member fields (保険者名称, 記号・番号・枝番, 氏名, フリガナ, 性別 where the form shows
  it, 生年月日) are copied from the record, never taken from the client.
* How: everything is validated first and every problem is reported at once
  (:class:`FormDataError` keyed ``data.<field>``, ``bank_account.<field>``, ``attachments``,
  ``attachments.<code>``, ``record``, ``resubmission_of``, ``form_code``); then one transaction
  writes the application, its attachments, the 受付番号, the status history and the audit
  event. Files are written before the transaction and deleted again if it fails.
* Retries: (applicant, Idempotency-Key) identifies a submission; a retry returns the
  application already filed, also when two requests race (the unique constraint decides).

Modules by topic: :mod:`.rules` (who may file, when, with which record), :mod:`.drafts`,
:mod:`.submission` (and the check without writing), :mod:`.validation` (the content checks
both use), :mod:`.storage` (attachment files), :mod:`.receipts` (受付番号), :mod:`.errors`.
This package re-exports the public names, so ``applications.services.filing.X`` stays valid.
"""

from applications.services.filing.drafts import (
    DRAFT_ATTACHMENTS_REFUSED,
    DRAFT_MAX_TEXT,
    application_save_draft,
)
from applications.services.filing.errors import FilingConflict, FilingNotAllowed, ServiceClosed
from applications.services.filing.receipts import RECEIPT_SERIAL_DIGITS
from applications.services.filing.rules import (
    FILE_PERMISSION,
    ensure_service_open,
    filing_record,
    forms_for,
    is_filing_staff,
    may_file,
)
from applications.services.filing.submission import (
    IDEMPOTENCY_KEY_RE,
    SubmitOutcome,
    application_check,
    application_submit_outcome,
)
from applications.services.filing.validation import UPLOAD_WORKERS, Attachment

__all__ = [
    "DRAFT_ATTACHMENTS_REFUSED",
    "DRAFT_MAX_TEXT",
    "FILE_PERMISSION",
    "IDEMPOTENCY_KEY_RE",
    "RECEIPT_SERIAL_DIGITS",
    "UPLOAD_WORKERS",
    "Attachment",
    "FilingConflict",
    "FilingNotAllowed",
    "ServiceClosed",
    "SubmitOutcome",
    "application_check",
    "application_save_draft",
    "application_submit_outcome",
    "ensure_service_open",
    "filing_record",
    "forms_for",
    "is_filing_staff",
    "may_file",
]
