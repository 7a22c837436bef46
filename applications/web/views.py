"""Pages of the member site: catalogue, 資格選択, entry (generated from the catalogue, with
attachments and the bank account), confirmation, completion, and the bank search.

Every rule is the filing services' (:mod:`applications.services.filing`); a view reads the
POST, calls them, and shows their messages beside the field they are keyed by.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from applications import clock
from applications.bank import search_banks, search_branches
from applications.forms_catalogue import FormDataError, FormDefinition, UnknownFormError, get_form
from applications.models import Application
from applications.presentation import bank_rows, entered_rows, wareki_and_iso
from applications.selectors import application_for_applicant, draft_for_applicant
from applications.services.filing import (
    FilingConflict,
    FilingNotAllowed,
    ServiceClosed,
    application_check,
    application_save_draft,
    application_submit_outcome,
    ensure_service_open,
    filing_record,
    forms_for,
)
from applications.web import pending
from applications.web.entry import bank_from_post, bank_views, data_from_post, field_views
from core.jp.calendar import JST, SERVICE_CLOSE, SERVICE_OPEN
from core.jp.era import parse_wareki
from core.jp.errors import JapaneseValueError
from core.member_site import applicant_required
from core.uploads import MAX_UPLOAD_BYTES, UploadError, validate_upload
from eligibility.rules.dates import is_eligible_on
from eligibility.selectors import records_for_member

#: The catalogue's groups, in the order of the page (seed 000: 給付・適用・保健).
CATEGORIES = (
    ("benefit", gettext_noop("給付")),
    ("eligibility", gettext_noop("適用")),
    ("health", gettext_noop("保健")),
)


def _closed_message(user: Any) -> str:
    """When filing reopens, or "" while the service is open."""
    try:
        ensure_service_open(user=user, now=clock.now())
    except ServiceClosed as exc:
        return closed_text(exc)
    return ""


def closed_text(exc: ServiceClosed) -> str:
    """The service's notice in Japanese; in another language the same facts from its parts."""
    if get_language().startswith("ja"):
        return exc.message
    when = exc.reopens_at.astimezone(JST)
    return _(
        "電子申請の受付時間外です。受付時間は平日%(open)s時～%(close)s時"
        "（祝日・12月29日～1月3日を除く）です。次の受付開始は%(when)sです。"
    ) % {
        "open": SERVICE_OPEN.hour,
        "close": SERVICE_CLOSE.hour,
        "when": f"{when:%Y-%m-%d %H:%M}",
    }


# --- catalogue -------------------------------------------------------------------------------


@require_GET
@applicant_required
def catalogue(request: HttpRequest) -> HttpResponse:
    """The forms this user may file, grouped 給付 / 適用 / 保健, with a search box."""
    term = request.GET.get("q", "").strip()[:50]
    forms = forms_for(user=request.user)
    if term:
        forms = [f for f in forms if term in f.name or term in _(f.name) or term in f.code]
    groups = [
        {"code": code, "label": _(label), "forms": [f for f in forms if f.category == code]}
        for code, label in CATEGORIES
    ]
    return render(
        request,
        "applications/site/catalogue.html",
        {"groups": [g for g in groups if g["forms"]], "q": term, "count": len(forms)},
    )


# --- 資格選択 --------------------------------------------------------------------------------


def _form_or_404(code: str, user: Any) -> FormDefinition:
    try:
        form = get_form(code)
    except UnknownFormError:
        raise Http404 from None
    if form not in forms_for(user=user):
        raise Http404
    return form


def _birth_date(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return parse_wareki(text)
    except JapaneseValueError:
        raise FormDataError(
            {
                "birth_date": [
                    _("生年月日は「1980-04-01」または「昭和55年4月1日」の形式で入力してください。")
                ]
            }
        ) from None


@require_http_methods(["GET", "POST"])
@applicant_required
def choose_record(request: HttpRequest, code: str) -> HttpResponse:
    """資格選択: a member picks one of their records (cards); an attorney names the member's
    record by 記号・番号・枝番・生年月日. Then a draft is created and the entry page opens."""
    user = request.user
    form = _form_or_404(code, user)
    errors: dict[str, list[str]] = {}
    entered: dict[str, str] = {}
    if request.method == "POST":
        entered = {
            k: request.POST.get(k, "").strip()[:20]
            for k in ("symbol", "number", "branch_number", "birth_date")
        }
        record_id = request.POST.get("record", "")
        try:
            now = clock.now()
            if user.is_member:
                record = filing_record(
                    user=user, now=now, record_id=int(record_id) if record_id.isdigit() else None
                )
            else:
                record = filing_record(
                    user=user,
                    now=now,
                    symbol=entered["symbol"],
                    number=entered["number"],
                    branch_number=entered["branch_number"],
                    birth_date=_birth_date(entered["birth_date"]),
                )
            draft = application_save_draft(
                applicant=user, record=record, form_code=form.code, data={}, request=request
            )
        except FormDataError as exc:
            errors = exc.errors
        except FilingNotAllowed as exc:
            errors = {"record": [exc.message]}
        else:
            return redirect("applications:file-entry", pk=draft.pk)
    today = clock.now().date()
    records = []
    if user.is_member:
        for record in records_for_member(user=user).order_by("-acquired_on", "-id"):
            records.append(
                {
                    "obj": record,
                    "current": is_eligible_on(
                        acquired=record.acquired_on, lost=record.lost_on, on=today
                    ),
                }
            )
    return render(
        request,
        "applications/site/choose_record.html",
        {"form": form, "records": records, "errors": errors, "entered": entered},
        status=400 if errors else 200,
    )


# --- entry -----------------------------------------------------------------------------------


def _entry_context(
    request: HttpRequest,
    draft: Application,
    form: FormDefinition,
    values: dict[str, Any],
    bank: dict[str, Any] | None,
    errors: dict[str, list[str]],
) -> dict[str, Any]:
    items = pending.pending_for(request, draft.pk)
    attachments = [
        {
            "spec": spec,
            "name": f"file.{spec.code}",
            "id": f"id_file-{spec.code}",
            "items": [i for i in items if i.code == spec.code],
            "errors": errors.get(f"attachments.{spec.code}", []),
            "when": spec.required_when is not None,
        }
        for spec in form.attachments
    ]
    shown = {f"data.{name}" for name in form.field_names}
    shown |= {f"attachments.{a.code}" for a in form.attachments}
    shown |= {k for k in errors if k.startswith("bank_account.")}
    return {
        "draft": draft,
        "birth_date_text": wareki_and_iso(draft.birth_date) if draft.birth_date else "",
        "form": form,
        "fields": field_views(form, values, errors),
        "bank": bank_views(bank, errors) if form.pays_money else None,
        "attachments": attachments,
        "general_errors": [m for k, ms in errors.items() if k not in shown for m in ms],
        "has_errors": bool(errors),
        "closed_message": _closed_message(request.user),
    }


def _read_uploads(
    request: HttpRequest, draft: Application, form: FormDefinition, errors: dict[str, list[str]]
) -> None:
    """Check and keep the files sent with this POST; a refused file's message goes beside
    its attachment."""
    for spec in form.attachments:
        for upload in request.FILES.getlist(f"file.{spec.code}")[:10]:
            content = upload.read(MAX_UPLOAD_BYTES + 1)
            try:
                clean = validate_upload(content, filename=upload.name or "")
            except UploadError as exc:
                errors.setdefault(f"attachments.{spec.code}", []).append(
                    f"{upload.name}: {exc.message}"
                )
                continue
            pending.add(request, draft.pk, spec.code, clean)


@never_cache
@require_http_methods(["GET", "POST"])
@applicant_required
def entry(request: HttpRequest, pk: int) -> HttpResponse:
    """The form, generated from the catalogue. Buttons: save the draft, attach files (or
    remove one), go to the confirmation (everything checked as on submission)."""
    draft = draft_for_applicant(user=request.user, pk=pk)
    form = get_form(draft.form_code, draft.form_version)
    values: dict[str, Any] = dict(draft.data or {})
    bank = dict(draft.bank_account or {}) or None
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = data_from_post(form, request.POST)
        bank = bank_from_post(request.POST) if form.pays_money else None
        removed = request.POST.get("remove", "")
        if removed:
            pending.remove(request, draft.pk, removed)
        _read_uploads(request, draft, form, errors)
        action = request.POST.get("action", "save")
        try:
            draft = application_save_draft(
                applicant=request.user,
                record=draft.record,
                form_code=form.code,
                data=values,
                bank_account=bank,
                draft=draft,
                resubmission_of=draft.resubmission_of,
                request=request,
            )
            if action == "confirm" and not errors:
                application_check(
                    applicant=request.user,
                    record=draft.record,
                    form_code=form.code,
                    data=values,
                    bank_account=bank,
                    attachments=pending.contents(request, draft.pk),
                    draft=draft,
                    resubmission_of=draft.resubmission_of,
                )
                return redirect("applications:file-confirm", pk=draft.pk)
        except FormDataError as exc:
            for key, messages in exc.errors.items():
                errors.setdefault(key, []).extend(messages)
        except (FilingNotAllowed, FilingConflict) as exc:
            errors.setdefault("form_code", []).append(exc.message)
        if not errors and action == "save":
            return render(
                request,
                "applications/site/entry.html",
                {
                    **_entry_context(request, draft, form, values, bank, errors),
                    "saved": True,
                },
            )
    return render(
        request,
        "applications/site/entry.html",
        _entry_context(request, draft, form, values, bank, errors),
        status=400 if errors else 200,
    )


@never_cache
@require_GET
@applicant_required
def pending_file(request: HttpRequest, pk: int, item_id: str) -> FileResponse:
    """A thumbnail of a file attached but not yet submitted (only in its uploader's session)."""
    draft = draft_for_applicant(user=request.user, pk=pk)
    for item in pending.pending_for(request, draft.pk):
        if item.id == item_id:
            try:
                handle = pending.default_storage.open(item.path, "rb")
            except OSError:
                break
            response = FileResponse(handle, content_type=item.content_type)
            response["X-Content-Type-Options"] = "nosniff"
            response["Cache-Control"] = "private, no-store"
            return response
    raise Http404


# --- confirmation and completion -------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@applicant_required
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """What will be filed, then 「申請する」. A double submission files once (the draft's id is
    the Idempotency-Key); a second tap after filing lands on the completion page."""
    try:
        draft = draft_for_applicant(user=request.user, pk=pk)
    except Http404:
        filed = application_for_applicant(user=request.user, pk=pk)  # Http404 if not theirs
        return redirect("applications:file-done", pk=filed.pk)
    form = get_form(draft.form_code, draft.form_version)
    problem = ""
    if request.method == "POST":
        try:
            outcome = application_submit_outcome(
                applicant=request.user,
                record=draft.record,
                form_code=form.code,
                data=draft.data or {},
                bank_account=draft.bank_account,
                attachments=pending.contents(request, draft.pk),
                idempotency_key=f"site-draft-{draft.pk}",
                draft=draft,
                resubmission_of=draft.resubmission_of,
                request=request,
            )
        except FormDataError as exc:
            values, bank = dict(draft.data or {}), draft.bank_account
            return render(
                request,
                "applications/site/entry.html",
                _entry_context(request, draft, form, values, bank, exc.errors),
                status=400,
            )
        except ServiceClosed as exc:
            problem = closed_text(exc)
        except (FilingNotAllowed, FilingConflict) as exc:
            problem = exc.message
        else:
            pending.clear(request, draft.pk)
            return redirect("applications:file-done", pk=outcome.application.pk)
    rows, _extra = entered_rows(form.code, form.version, draft.data or {})
    return render(
        request,
        "applications/site/confirm.html",
        {
            "draft": draft,
            "form": form,
            "rows": [r for r in rows if r.value != "—"],
            "bank_rows": bank_rows(_bank_preview(draft)),
            "files": pending.pending_for(request, draft.pk),
            "labels": {a.code: a.label for a in form.attachments},
            "problem": problem,
            "closed_message": _closed_message(request.user),
        },
        status=400 if problem else 200,
    )


def _bank_preview(draft: Application) -> dict[str, Any] | None:
    from applications.bank import validate_bank_account

    if not draft.bank_account:
        return None
    try:
        account = validate_bank_account(draft.bank_account)
    except FormDataError:
        return draft.bank_account
    return {
        "bank_code": account.bank_code,
        "bank_name": account.bank_name,
        "branch_code": account.branch_code,
        "branch_name": account.branch_name,
        "account_type": account.account_type,
        "account_number": account.account_number,
        "holder_kana": account.holder_kana,
    }


@never_cache
@require_GET
@applicant_required
def done(request: HttpRequest, pk: int) -> HttpResponse:
    """Completion: the 受付番号 and what happens next."""
    application = application_for_applicant(user=request.user, pk=pk)
    if not application.receipt_number:
        return redirect("applications:file-entry", pk=pk)
    return render(
        request,
        "applications/site/done.html",
        {"application": application, "form_name": get_form(application.form_code).name},
    )


# --- bank search (JSON for the entry page's script) ------------------------------------------


@require_GET
@applicant_required
def banks(request: HttpRequest) -> JsonResponse:
    hits = search_banks(request.GET.get("q", "")[:30])
    return JsonResponse({"results": [{"code": h.code, "name": h.name} for h in hits]})


@require_GET
@applicant_required
def branches(request: HttpRequest, bank_code: str) -> JsonResponse:
    hits = search_branches(bank_code[:4], request.GET.get("q", "")[:30])
    return JsonResponse({"results": [{"code": h.code, "name": h.name} for h in hits]})
