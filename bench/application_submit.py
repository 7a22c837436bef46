"""Benchmark: filing an application with two ~1 MB phone photos through the REST API.

Runs in-process (django.test.Client, the real URL conf, middleware, parsers, services and
storage) against a throw-away PostgreSQL database, with the filing clock pinned inside the
service hours. Prints the median and p95 of the server time per request and the queries per
request, then where the time goes (the attachment check and re-encode, core.uploads).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kyoukai_bench \\
        .venv/bin/python -m bench.application_submit [--requests 60]

The database ``test_<name>`` is created, migrated and dropped again; files go to a temporary
directory. Target (issue): median under 300 ms.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime
from unittest import mock

import django

from bench.common import percentile

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from PIL import Image  # noqa: E402

from core.jp.calendar import JST  # noqa: E402

#: Inside the service hours (Wednesday 10:00 JST).
OPEN_AT = datetime(2026, 3, 11, 10, 0, tzinfo=JST)
FORM = "ryoyohi_tatekae"  # a cash benefit: two photos of receipts, bank account, 10 fields
TARGET_BYTES = 1_000_000


def noise_jpeg(target: int = TARGET_BYTES, seed: int = 0) -> bytes:
    """A JPEG of random pixels of about ``target`` bytes (noise does not compress away)."""
    rng = random.Random(seed)
    side, best = 1000, b""
    for _ in range(6):
        raw = rng.randbytes(side * side * 3)
        out = io.BytesIO()
        Image.frombytes("RGB", (side, side), raw).save(out, "JPEG", quality=90)
        best = out.getvalue()
        side = int(side * (target / len(best)) ** 0.5)
        if abs(len(best) - target) < target * 0.03:
            break
    return best


def _setup_database() -> str:
    if connection.vendor != "postgresql":
        sys.exit("This benchmark measures PostgreSQL: set DATABASE_URL=postgres://…")
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = "kyoukai_bench_submit"
    return connection.creation.create_test_db(verbosity=0, autoclobber=True)


def _payload(form_code: str, record_id: int, photos: list[bytes]) -> dict[str, object]:
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    from applications.forms_catalogue import get_form
    from tests.applications.filing_support import BANK_ACCOUNT, valid_data

    form = get_form(form_code)
    return {
        "form_code": form_code,
        "record": record_id,
        "data": json.dumps(valid_data(form, OPEN_AT.date())),
        "bank_account": json.dumps(BANK_ACCOUNT),
        "attachments": [
            SimpleUploadedFile(f"IMG_{i:04d}.JPG", photo, "image/jpeg")
            for i, photo in enumerate(photos)
        ],
        "attachment_kinds": ["itemized_bill", "receipt"],
    }


def run(requests: int) -> None:
    from rest_framework.authtoken.models import Token

    from applications.models import Application
    from core.uploads import validate_upload
    from tests.factories.core import MemberUserFactory
    from tests.factories.eligibility import InsuredRecordFactory

    photos = [noise_jpeg(seed=1), noise_jpeg(seed=2)]
    with Image.open(io.BytesIO(photos[0])) as image:
        size = image.size
    print(f"photos: 2 × {len(photos[0]) / 1e6:.2f} MB JPEG noise, {size[0]}×{size[1]} px")

    user = MemberUserFactory()
    record = InsuredRecordFactory(person__user=user)
    token = Token.objects.create(user=user)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")

    # Server time = the handler's get_response (middleware, parsing, view, services,
    # storage); the client's own multipart encoding of the 2 MB body is left out.
    handler = client.handler
    inner = handler.get_response
    spent: list[tuple[float, float]] = []

    def timed_get_response(request):  # type: ignore[no-untyped-def]
        start, cpu = time.perf_counter(), time.process_time()
        try:
            return inner(request)
        finally:
            spent.append((time.perf_counter() - start, time.process_time() - cpu))

    handler.get_response = timed_get_response  # type: ignore[method-assign]

    def post() -> tuple[tuple[float, float], int]:
        payload = _payload(FORM, record.pk, photos)
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                "/api/v1/applications/", payload, HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex
            )
        if response.status_code != 201:
            sys.exit(f"unexpected {response.status_code}: {response.content[:500]!r}")
        return spent[-1], len(queries)

    with mock.patch("applications.clock.now", return_value=OPEN_AT):
        for _ in range(3):  # warm-up: imports, the 全銀 list, connection
            post()
        times, cpu, queries = [], [], []
        for _ in range(requests):
            (elapsed, used), count = post()
            times.append(elapsed * 1000)
            cpu.append(used * 1000)
            queries.append(count)

    print(f"requests: {requests} (+3 warm-up), applications filed: "
          f"{Application.objects.count()}")
    print(f"server time per request: median {statistics.median(times):.1f} ms, "
          f"p95 {percentile(times, 0.95):.1f} ms, min {min(times):.1f} ms, "
          f"max {max(times):.1f} ms")
    print(f"CPU time per request (this process, all threads): median "
          f"{statistics.median(cpu):.1f} ms; load average now {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs")
    print(f"queries per request: {statistics.median(queries):.0f} "
          f"(min {min(queries)}, max {max(queries)})")

    # Where the time goes: the content check and metadata-free re-encode of one photo.
    checks = []
    for _ in range(10):
        start = time.perf_counter()
        validate_upload(photos[0], filename="IMG_0001.JPG")
        checks.append((time.perf_counter() - start) * 1000)
    print(f"core.uploads.validate_upload, one photo: median {statistics.median(checks):.1f} ms "
          "(the two photos of a request are checked in parallel threads)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    old_name = _setup_database()
    try:
        with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
            run(args.requests)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
