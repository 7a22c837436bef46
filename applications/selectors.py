"""Reads of electronic applications: for the applicant (member, attorney) and the records
they may file with; the review queue's counts per status (:func:`queue_status_counts`), its
search (:func:`application_search_q`) and the staff who may review (:func:`reviewers`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from applications.models import Application, ApplicationStatus, StatusChange
from core.admin_paginator import COUNT_LIMIT, query_estimate
from core.jp.kana import normalize_digits
from core.models import User
from core.scoping import branch_scope
from eligibility.models import EligibilityRecord
from eligibility.selectors import (
    eligible_on_q,
    normalize_branch_number,
    parse_search_term,
    records_for_member,
)

#: Columns the applicant's list shows (the form name comes from the catalogue, no JOIN).
LIST_COLUMNS = (
    "id",
    "applicant_id",
    "form_code",
    "form_version",
    "receipt_number",
    "status",
    "status_comment",
    "submitted_at",
    "created_at",
)


def applications_for_applicant(*, user: Any) -> QuerySet[Application]:
    """The applications ``user`` filed (or drafted), newest first; nobody else's.

    Only the list columns are loaded: the form data and bank account stay in the database.
    """
    if not getattr(user, "is_authenticated", False):
        return Application.objects.none()
    return Application.objects.filter(applicant_id=user.pk).only(*LIST_COLUMNS).order_by("-id")


def application_for_applicant(*, user: Any, pk: int) -> Application:
    """One of ``user``'s applications with attachments and status history; Http404 for any
    other id (someone else's application is indistinguishable from a missing one)."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    qs = (
        Application.objects.filter(applicant_id=user.pk)
        .select_related("record__branch", "record__person")
        .prefetch_related(
            "attachments",
            Prefetch("status_changes", queryset=StatusChange.objects.order_by("at", "id")),
        )
    )
    try:
        return qs.get(pk=pk)
    except Application.DoesNotExist:
        raise Http404 from None


def draft_for_applicant(*, user: Any, pk: int) -> Application:
    """One of ``user``'s drafts with its record; Http404 for anything else (someone else's,
    or already filed)."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    draft = (
        Application.objects.filter(applicant_id=user.pk, pk=pk, status=ApplicationStatus.DRAFT)
        .select_related("record__branch", "record__person")
        .first()
    )
    if draft is None:
        raise Http404
    return draft


def drafts_for_applicant(*, user: Any) -> QuerySet[Application]:
    """``user``'s drafts, last changed first (list columns only)."""
    return (
        applications_for_applicant(user=user)
        .filter(status=ApplicationStatus.DRAFT)
        .only(*LIST_COLUMNS, "updated_at")
        .order_by("-updated_at", "-id")
    )


def _visible_to_member_q(user: Any) -> Q:
    """Own applications, and (members only) those a 社会保険労務士 filed on the member's own
    records, drafts excepted: the member follows them read-only. The member's few record ids
    are read first, so both halves of the OR are index scans (applicant, record)."""
    q = Q(applicant_id=user.pk)
    if getattr(user, "is_member", False):
        record_ids = list(records_for_member(user=user).values_list("id", flat=True))
        if record_ids:
            q |= Q(record_id__in=record_ids, applicant__kind="attorney") & ~Q(
                status=ApplicationStatus.DRAFT
            )
    return q


def applications_visible_to_member(*, user: Any) -> QuerySet[Application]:
    """The member's list: own applications and those filed for them by an attorney (the
    attorney's other clients never), newest first; list columns only."""
    if not getattr(user, "is_authenticated", False):
        return Application.objects.none()
    return (
        Application.objects.filter(_visible_to_member_q(user)).only(*LIST_COLUMNS).order_by("-id")
    )


def application_visible_to_member(*, user: Any, pk: int) -> Application:
    """One application of :func:`applications_visible_to_member`, with its history; Http404
    otherwise. Read-only: changes go through :func:`application_for_applicant`."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    qs = Application.objects.filter(_visible_to_member_q(user)).prefetch_related(
        Prefetch("status_changes", queryset=StatusChange.objects.order_by("at", "id"))
    )
    try:
        return qs.get(pk=pk)
    except Application.DoesNotExist:
        raise Http404 from None


def own_record(*, user: Any, record_id: int) -> EligibilityRecord | None:
    """A member's own eligibility record (資格選択), with its branch; None otherwise."""
    return records_for_member(user=user).select_related("person").filter(pk=record_id).first()


def record_by_identity(
    *,
    symbol: str,
    number: str,
    branch_number: str,
    birth_date: date,
    current_on: date | None,
    staff: Any = None,
) -> list[EligibilityRecord]:
    """Records matching 記号・番号・枝番 and 生年月日 exactly (inputs normalised).

    ``current_on`` keeps only records eligible that day; ``staff`` limits the search to the
    staff user's branch (headquarters: all). At most two rows are fetched: more than one
    match is ambiguous and the caller refuses it.
    """
    qs = EligibilityRecord.objects.filter(
        symbol=normalize_digits(symbol.strip()),
        number=normalize_digits(number.strip()),
        branch_number=normalize_branch_number(branch_number.strip()),
        birth_date=birth_date,
    ).select_related("branch", "person")
    if current_on is not None:
        qs = qs.filter(eligible_on_q(current_on))
    if staff is not None:
        qs = branch_scope(qs, staff)
    return list(qs.order_by("-acquired_on", "-id")[:2])


def resubmittable_for(*, user: Any, pk: int) -> Application | None:
    """The applicant's own application ``pk`` (any status), for a resubmission check."""
    return (
        Application.objects.filter(applicant_id=user.pk, pk=pk)
        .only("id", "applicant_id", "form_code", "status")
        .first()
    )


@dataclass(frozen=True, slots=True)
class StatusCount:
    """How many applications have one status; ``exact`` False: at least / about ``count``."""

    status: str
    count: int
    exact: bool


def queue_status_counts(*, queryset: QuerySet[Application]) -> dict[str, StatusCount]:
    """Applications per status of the queue in ``queryset`` (already scoped to the reviewer's
    branch), drafts excepted.

    Each status is counted exactly up to ``COUNT_LIMIT`` rows (the (branch, status) index,
    a bounded scan); beyond that PostgreSQL's planner estimate is given, elsewhere the limit,
    both marked not exact. One query per status; none reads a whole branch.
    """
    counts: dict[str, StatusCount] = {}
    for status in ApplicationStatus.values:
        if status == ApplicationStatus.DRAFT:
            continue
        of_status = queryset.filter(status=status).order_by()
        counted = of_status.values("pk")[: COUNT_LIMIT + 1].count()
        if counted <= COUNT_LIMIT:
            counts[status] = StatusCount(status, counted, True)
            continue
        estimate = None
        if of_status.db and _is_postgresql(of_status.db):
            estimate = query_estimate(of_status)
        counts[status] = StatusCount(status, max(counted, estimate or 0), False)
    return counts


def _is_postgresql(alias: str) -> bool:
    from django.db import connections

    return connections[alias].vendor == "postgresql"


# --- search --------------------------------------------------------------------------------

#: Upper bound of a prefix range: above every character a reading contains.
KANA_RANGE_END = "\uffff"


def _number_variants(number: str) -> list[str]:
    return list(dict.fromkeys([number, number.lstrip("0") or "0"]))


def application_search(term: str) -> tuple[str, Q | None]:
    """(kind, filter) of what a reviewer typed into the queue's search box, read by
    :func:`eligibility.selectors.parse_search_term`, with indexed lookups only:

    * 受付番号 (``2026112200000001``, a separator allowed after the date): exact;
    * 記号-番号[-枝番] (``12345678-12``, ``12345678・12・00``, full-width digits): exact;
    * digits only: 記号 or 受付番号, exact;
    * kana (hiragana, half-width kana and spaces accepted): フリガナ starting with it;
    * anything else: 氏名 starting with it.

    kind is the term's kind (receipt, symbol_number, digits, kana, name) or "" (nothing to
    search, filter None).
    """
    parsed = parse_search_term(term)
    if parsed.kind == "":
        return "", None
    if parsed.kind == "receipt":
        return "receipt", Q(receipt_number__in=list(dict.fromkeys([parsed.text, parsed.digits])))
    if parsed.kind == "symbol_number":
        q = Q(symbol=parsed.symbol, number__in=_number_variants(parsed.number))
        if parsed.branch_number:
            q &= Q(branch_number=parsed.branch_number)
        return "symbol_number", q
    if parsed.kind == "digits":
        return "digits", Q(symbol=parsed.digits) | Q(receipt_number=parsed.digits)
    if parsed.kind == "kana":
        # LIKE 'prefix%' cannot use an index on name_kana under a non-C collation such as
        # C.UTF-8 before PostgreSQL 17; the equivalent range (code-point order) can.
        kana = parsed.kana
        return "kana", Q(
            name_kana__startswith=kana, name_kana__gte=kana, name_kana__lt=kana + KANA_RANGE_END
        )
    return "name", Q(name__startswith=parsed.text)


def application_search_q(term: str) -> Q | None:
    """The filter of :func:`application_search` alone."""
    return application_search(term)[1]


# --- reviewers -------------------------------------------------------------------------------


def reviewers(branch_id: int | None = None, *, all_branches: bool = False) -> QuerySet[User]:
    """Active staff who may review: of one branch (the assign form, the filter), or of every
    branch (headquarters' filter)."""
    perm = Q(groups__permissions__codename="change_application") | Q(
        user_permissions__codename="change_application"
    )
    where = Q(branch__isnull=False) if all_branches else Q(branch_id=branch_id)
    staff = User.objects.filter(where, is_staff=True, is_active=True)
    return (
        staff.filter(perm | Q(is_superuser=True))
        .distinct()
        .order_by("branch_id", "last_name", "first_name", "username")
    )
