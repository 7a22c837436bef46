"""Benchmark: building a return package (電子ポスト) for a typical application.

A typical application: 傷病手当金 with its values, a reason notice of two pages (enough
reasons to fill them), the form image, two phone-photo attachments (~1.5 MP JPEG) and the
signed resubmission file. Prints, as CPU time of this process (``time.process_time``):

* the first (cold) WeasyPrint call of the process, then the notice PDF alone, warm (the
  process's one FontConfiguration), and with a new FontConfiguration per call, side by side
  in the same run;
* the whole package (every file built in memory: :func:`returns.services.build_files`) and
  the whole build with storage and database writes (:func:`returns.services.package_build`);
* with ``--packages N``: N packages built in a row and the worker's RSS after each 100.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kyoukai_bench \\
        .venv/bin/python -m bench.returns_package [--runs 20] [--packages 1000]

A throw-away test database (``test_kyoukai_bench_returns``) is created and dropped; files go
to a temporary directory. Targets (issue): whole package under 1 s of CPU, the PDF alone under
300 ms, 1,000 packages under 400 MB RSS.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import tempfile
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from PIL import Image  # noqa: E402

from bench.common import percentile  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def photo(seed: int) -> bytes:
    """A ~1.5 MP JPEG with some texture, like a re-encoded phone photo of a document."""
    rng = random.Random(seed)
    image = Image.effect_noise((1200, 1600), 40).convert("RGB")
    image.paste((rng.randrange(200, 255),) * 3, (100, 100, 1100, 400))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def typical_message():
    from django.core.files.base import ContentFile

    from applications.models import ApplicationAttachment
    from core.models import Branch, User
    from returns import services
    from tests.returns.support import reviewing_application

    reviewer = User.objects.create(
        username="bench-reviewer", kind="staff", is_staff=True, is_superuser=True,
        branch=Branch.objects.get(code=13),
    )  # fmt: skip
    application = reviewing_application(attachments=0)
    for i in range(2):
        content = photo(i)
        row = ApplicationAttachment(
            application=application, kind="doctor_certificate", original_filename=f"p{i}.jpg",
            content_type="image/jpeg", size=len(content), sha256="0" * 64,
        )  # fmt: skip
        row.file.save(f"p{i}.jpg", ContentFile(content), save=False)
        row.save()
    reasons = [
        services.ReasonInput(code, field, "記載された内容と添付書類の内容が一致しません。" * 4)
        for code, field in [
            ("attachment_missing", ""),
            ("entry_error", "leave_from"),
            ("entry_error", "leave_to"),
            ("certification_missing", "employer_certified_date"),
            ("entry_error", "employer_paid_amount"),
            ("illegible_attachment", ""),
        ]
    ]
    return services.application_return(
        application_id=application.pk, reasons=reasons, actor=reviewer,
        expected_version=application.version,
    )  # fmt: skip


def cpu_ms(call) -> float:
    start = time.process_time()
    call()
    return (time.process_time() - start) * 1000


def line(name: str, values: list[float]) -> str:
    return (
        f"{name:<46} median {statistics.median(values):7.1f} ms   p95 "
        f"{percentile(values, 0.95):7.1f} ms   (n={len(values)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--packages", type=int, default=0)
    args = parser.parse_args()

    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="bench-returns-")
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = "kyoukai_bench_returns"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from pypdf import PdfReader
        from weasyprint import HTML
        from weasyprint.text.fonts import FontConfiguration

        from returns import services
        from returns.building.reasons_pdf import notice_html, render_notice

        message = typical_message()
        notice = services.notice_for(message, today=timezone.localdate())
        rss_start = rss_mb()

        cold = cpu_ms(lambda: render_notice(notice))
        pdf = render_notice(notice)
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        warm = [cpu_ms(lambda: render_notice(notice)) for _ in range(args.runs)]
        html = notice_html(notice)
        fresh = [
            cpu_ms(lambda: HTML(string=html).write_pdf(font_config=FontConfiguration()))
            for _ in range(max(3, args.runs // 4))
        ]
        now = timezone.now()
        files = services.build_files(message, now=now)
        whole = [cpu_ms(lambda: services.build_files(message, now=now)) for _ in range(args.runs)]

        def build_version() -> None:
            package = message.packages.order_by("-version").first()
            package.state = "ready"
            package.save(update_fields=["state"])
            new = services.package_regenerate(message_id=message.pk, actor=message.returned_by)
            assert services.package_build(new.pk) == "ready"

        written = [cpu_ms(build_version) for _ in range(max(5, args.runs // 2))]

        print(f"database: {connection.vendor}; CPU time of this process (time.process_time)")
        print(
            f"package: notice {pages} page(s) {len(pdf) / 1024:.0f} KB; "
            + ", ".join(f"{f.filename.split('_')[0]} {len(f.content) / 1024:.0f} KB" for f in files)
        )
        print(f"{'notice PDF, cold WeasyPrint call (first of process)':<46} {cold:7.1f} ms")
        print(line("notice PDF, warm (shared FontConfiguration)", warm))
        print(line("notice PDF, a new FontConfiguration per call", fresh))
        print(line("whole package, files built in memory", whole))
        print(line("whole package, with storage + DB writes", written))

        if args.packages:
            print(f"RSS before the loop: {rss_start:.0f} MB (after set-up)")
            peak = rss_mb()
            started = time.process_time()
            for i in range(1, args.packages + 1):
                services.build_files(message, now=now)
                if i % 100 == 0:
                    peak = max(peak, rss_mb())
                    print(f"  {i:>5} packages: RSS {rss_mb():6.0f} MB", flush=True)
            per = (time.process_time() - started) * 1000 / args.packages
            print(
                f"{args.packages} packages in a row: {per:.0f} ms CPU each, peak RSS {peak:.0f} MB"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
