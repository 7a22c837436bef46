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


def test_admin_return_worker_build_member_download_and_resubmit(
    celery_worker_process, settings, reviewer, client
):
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse
    from rest_framework.test import APIClient

    from applications.models import Application, ApplicationStatus
    from eligibility.models import Person
    from returns.models import ReturnMessage
    from tests.factories.core import MemberUserFactory

    settings.MEDIA_ROOT = celery_worker_process.media_root
    member = MemberUserFactory()
    application = reviewing_application(applicant=member)
    Person.objects.filter(pk=application.record.person_id).update(user=member)

    client.force_login(reviewer)
    response = client.post(
        reverse("admin:applications_application_return", args=[application.pk]),
        {"expected_version": application.version, "reason_0": "attachment_missing",
         "field_0": "", "text_0": "医師の意見書がありません。"},
    )  # fmt: skip
    assert response.status_code == 302
    message = ReturnMessage.objects.get(application=application)
    wait_for(lambda: ready(message.packages.get().pk), timeout=90)

    api = APIClient()
    api.force_authenticate(member)
    detail = api.get(reverse("api-return-message", args=[message.pk])).json()
    files = {f["kind"]: f for f in detail["files"]}
    pdf = b"".join(api.get(files[FileKind.NOTICE]["download_url"]).streaming_content)
    assert pdf.startswith(b"%PDF")
    document = b"".join(api.get(files[FileKind.RESUBMISSION]["download_url"]).streaming_content)
    assert json.loads(document)["protected"]["receipt_number"] == application.receipt_number
    created = api.post(
        reverse("api-return-resubmissions"),
        {"file": SimpleUploadedFile("r.json", document, "application/json")},
        format="multipart",
    )
    assert created.status_code == 201, created.json()
    draft = Application.objects.get(pk=created.json()["id"])
    assert draft.status == ApplicationStatus.DRAFT
    assert draft.resubmission_of_id == application.pk
