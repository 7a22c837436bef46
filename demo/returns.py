"""Demo data of the return mailbox: the demo's returned applications get their reasons from
the catalogue and a built package, so ``member1`` finds a message right after
``scripts/run.sh``. Packages are built synchronously through the service the task calls.
Idempotent: a second run finds the packages built and does nothing.
"""

from __future__ import annotations

from django.db import transaction

from applications.models import Application, ApplicationStatus
from returns import services
from returns.models import PackageState, ReturnMessageReason, ReturnPackage, ReturnReason

#: Returned applications of other (bulk demo) members that also get a package (by default
#: none: each costs a build, and ``member1``'s is the one the demo needs).
BULK_PACKAGES = 0


def _catalogue_reasons(message_id: int) -> None:
    """A message made from a status comment alone gets the catalogue reason it describes."""
    reasons = list(ReturnMessageReason.objects.filter(message_id=message_id))
    if len(reasons) != 1 or reasons[0].reason.code != services.OTHER_REASON:
        return
    text = reasons[0].text
    code = "entry_error"  # 記載内容の不備: an address, a date, a figure left out or wrong
    if "証明" in text or "意見" in text:
        code = "certification_missing"
    elif "口座" in text:
        code = "bank_mismatch"
    elif "添付" in text or "書類" in text:
        code = "attachment_missing"
    reasons[0].reason = ReturnReason.objects.get(code=code)
    reasons[0].save(update_fields=["reason"])


def build_demo_packages(
    *, usernames: tuple[str, ...] = ("member1",), bulk: int = BULK_PACKAGES
) -> int:
    """Messages and built packages for the demo members' returned applications and for
    ``bulk`` others; the number of packages built."""
    returned = Application.objects.filter(status=ApplicationStatus.RETURNED)
    ids = list(
        returned.filter(applicant__username__in=usernames).values_list("pk", flat=True)
    ) + list(
        returned.exclude(applicant__username__in=usernames)
        .order_by("-submitted_at")
        .values_list("pk", flat=True)[:bulk]
    )
    built = 0
    for application_id in ids:
        with transaction.atomic():
            message = services.ensure_message(application_id=application_id)
        if message is None:
            continue
        _catalogue_reasons(message.pk)
        pending = ReturnPackage.objects.filter(message=message, state=PackageState.PENDING)
        for package_id in pending.values_list("pk", flat=True):
            if services.package_build(package_id) == "ready":
                built += 1
    return built
