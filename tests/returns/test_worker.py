"""With a real Celery worker (PostgreSQL + Redis lane): the package is built after a return,
and a package whose enqueue was lost (crash between the commit and the enqueue) is picked up
by the periodic sweep."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from returns.models import FileKind, PackageState, ReturnPackage
from returns.tasks import sweep_packages
from tests.returns.support import return_it, reviewing_application
from tests.worker import wait_for

pytestmark = pytest.mark.worker


def ready(package_id: int) -> ReturnPackage | None:
    return ReturnPackage.objects.filter(pk=package_id, state=PackageState.READY).first()


def test_worker_builds_the_package_after_a_return(celery_worker_process, settings, reviewer):
    settings.MEDIA_ROOT = celery_worker_process.media_root
    message = return_it(reviewing_application(), reviewer)  # commits; enqueued on commit
    package = wait_for(lambda: ready(message.packages.get().pk), timeout=90)
    kinds = list(package.files.values_list("kind", flat=True))
    assert kinds[0] == FileKind.NOTICE and kinds[-1] == FileKind.RESUBMISSION
    assert kinds.count(FileKind.ATTACHMENT) == 2
    assert package.files.get(kind=FileKind.NOTICE).file.read(4) == b"%PDF"


def test_sweep_picks_up_a_package_whose_enqueue_was_lost(celery_worker_process, settings, reviewer):
    settings.MEDIA_ROOT = celery_worker_process.media_root
    with mock.patch("returns.tasks.build_package.delay", side_effect=ConnectionError("down")):
        message = return_it(reviewing_application(), reviewer)
    package = message.packages.get()
    assert package.state == PackageState.PENDING
    # The crash was a while ago: older than the sweep's cut-off.
    ReturnPackage.objects.filter(pk=package.pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    sweep_packages.delay()  # what Celery beat sends every minute
    assert wait_for(lambda: ready(package.pk), timeout=90)
