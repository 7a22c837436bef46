"""Background work of the return mailbox, on the ``interactive`` queue (never behind a bulk
mailing): build a package by id, the sweep of packages a crash left behind (Celery beat),
and retention. Thin: each task calls one service."""

from __future__ import annotations

from celery import shared_task

from returns import services

#: A package takes well under a second; these limits only stop a stuck build.
BUILD_SOFT_LIMIT = 60
BUILD_HARD_LIMIT = 90


@shared_task(
    acks_late=True, soft_time_limit=BUILD_SOFT_LIMIT, time_limit=BUILD_HARD_LIMIT,
    ignore_result=True,
)  # fmt: skip
def build_package(package_id: int) -> str:
    """Build one pending package; a duplicate or redelivered task finds nothing to claim."""
    return services.package_build(package_id)


@shared_task(acks_late=True, soft_time_limit=120, time_limit=180, ignore_result=True)
def sweep_packages() -> int:
    """Queue again the packages left pending (never enqueued) or stuck building."""
    ids = services.packages_to_sweep()
    for package_id in ids:
        build_package.delay(package_id)
    return len(ids)


@shared_task(acks_late=True, soft_time_limit=600, time_limit=900, ignore_result=True)
def delete_expired_packages() -> int:
    """Retention: delete packages older than RETURNS_RETENTION_DAYS (audited)."""
    return services.packages_delete_expired()
