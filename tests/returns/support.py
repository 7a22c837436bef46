"""Material for the return mailbox tests: a reviewing application with data and attachments,
returned with reasons, its package built the way the task builds it."""

from __future__ import annotations

import io
import random
from datetime import date

from django.core.files.base import ContentFile
from PIL import Image

from applications.forms_catalogue import get_form
from applications.models import Application, ApplicationAttachment
from demo.applications import sample_form_data
from returns import services
from returns.models import ReturnMessage, ReturnPackage
from tests.factories.applications import ApplicationFactory

FORM = "shobyo_teate"


def png_bytes(color: str = "white", size: tuple[int, int] = (600, 800)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def reviewing_application(*, attachments: int = 2, **kwargs) -> Application:
    form = get_form(FORM)
    kwargs.setdefault("data", sample_form_data(form, random.Random(3), date(2026, 3, 10)))
    application = ApplicationFactory(
        reviewing=True, form_code=form.code, form_version=form.version, **kwargs
    )
    for i in range(attachments):
        content = png_bytes(("white", "lightgray")[i % 2])
        row = ApplicationAttachment(
            application=application,
            kind=form.attachments[0].code,
            original_filename=f"scan{i}.png",
            content_type="image/png",
            size=len(content),
            sha256="0" * 64,
        )
        row.file.save(f"scan{i}.png", ContentFile(content), save=False)
        row.save()
    return application


def return_it(application: Application, reviewer, **kwargs) -> ReturnMessage:
    reasons = kwargs.pop(
        "reasons",
        [
            services.ReasonInput(
                "attachment_missing", "", "事業主の証明書類が添付されていません。"
            ),
            services.ReasonInput(
                "entry_error", "leave_from", "休んだ期間の初日を確認してください。"
            ),
        ],
    )
    return services.application_return(
        application_id=application.pk,
        reasons=reasons,
        actor=reviewer,
        expected_version=application.version,
        **kwargs,
    )


def built(message: ReturnMessage) -> ReturnPackage:
    package = message.packages.get(version=1)
    assert services.package_build(package.pk) == "ready"
    package.refresh_from_db()
    return package
