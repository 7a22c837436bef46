"""Fault run: a CSV import on a real Celery worker while PostgreSQL restarts (issue 17).

It needs a PostgreSQL cluster that it may restart, never a shared one: ``DATABASE_URL``
points at it, ``PGDATA`` is its data directory and ``PG_CTL`` its ``pg_ctl`` (run as
``PG_CTL_USER``, default ``postgres``, through ``su`` when this process is root); Redis at
``CELERY_BROKER_URL``. The database must be migrated. Steps:

1. an employer and a CSV of ``--rows`` member rows; the job submitted as the admin does;
2. a worker (solo pool) on a queue of its own takes it;
3. once ``--restart-after`` rows are processed, ``pg_ctl restart -m fast``;
4. the job is followed until it ends.

It prints the rows processed at the restart, how long the restart took, when the job was
taken again (its second run) and when it ended, its outcome and counts, and the records in
the table (none lost, none twice). A private cluster on this machine, for example::

    su postgres -c "/usr/lib/postgresql/15/bin/initdb -D /tmp/pgr/data -U postgres --auth=trust"
    su postgres -c "/usr/lib/postgresql/15/bin/pg_ctl -D /tmp/pgr/data -o '-p 8132 -k /tmp' start"
    DATABASE_URL=postgres://postgres@127.0.0.1:8132/kyoukai_pgr \\
      .venv/bin/python manage.py migrate   # after CREATE DATABASE kyoukai_pgr
    PGDATA=/tmp/pgr/data PG_CTL=/usr/lib/postgresql/15/bin/pg_ctl \\
      DATABASE_URL=postgres://postgres@127.0.0.1:8132/kyoukai_pgr \\
      CELERY_BROKER_URL=redis://127.0.0.1:6379/4 .venv/bin/python -m bench.import_pg_restart
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import DatabaseError, connection  # noqa: E402

from core.models import Branch  # noqa: E402
from eligibility.imports import service  # noqa: E402
from eligibility.models import EligibilityRecord, Employer, ImportJob  # noqa: E402
from tests.factories.imports import csv_text, member_row  # noqa: E402

SYMBOL = "13999001"


def pg_ctl(*args: str) -> None:
    command = [os.environ["PG_CTL"], "-D", os.environ["PGDATA"], *args]
    if os.geteuid() == 0:
        user = os.environ.get("PG_CTL_USER", "postgres")
        command = ["su", user, "-c", shlex.join(command)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def read_job(job_id: int) -> ImportJob | None:
    try:
        return ImportJob.objects.get(pk=job_id)
    except DatabaseError:
        connection.close()  # the server went away: a new connection next time
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--restart-after", type=int, default=30_000)
    parser.add_argument("--mode", default=ImportJob.Mode.GOOD_ROWS)
    parser.add_argument("--batch", type=int, default=2_000)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    for name in ("PGDATA", "PG_CTL"):
        if not os.environ.get(name):
            sys.exit(f"{name} is not set: this run restarts PostgreSQL, it needs its own cluster")

    queue = f"import-restart-{os.getpid()}"
    settings.IMPORT_QUEUE = queue
    media = Path(tempfile.mkdtemp(prefix="import-restart-"))
    settings.MEDIA_ROOT = str(media)
    EligibilityRecord.objects.filter(employer__symbol=SYMBOL).delete()
    employer, _ = Employer.objects.get_or_create(
        symbol=SYMBOL,
        branch=Branch.objects.get(code=13),
        defaults={
            "name": "株式会社再起動試験",
            "postal_code": "1000001",
            "address": "東京都千代田区千代田1-1",
        },
    )
    data = csv_text([member_row(SYMBOL, str(n)) for n in range(1, args.rows + 1)]).encode()
    job = service.submit_job(
        kind=ImportJob.Kind.MEMBERS,
        mode=args.mode,
        upload=SimpleUploadedFile("members.csv", data),
        user=None,
    )
    env = {
        **os.environ,
        "IMPORT_QUEUE": queue,
        "IMPORT_BATCH_SIZE": str(args.batch),
        "PRIVATE_MEDIA_ROOT": str(media),
        "PYTHONUNBUFFERED": "1",
    }
    log = (media / "worker.log").open("w")
    worker = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "-P", "solo",
            "-n", f"{queue}@%h", "-l", "INFO", "--without-gossip", "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        started = time.monotonic()
        while (current := read_job(job.pk)) is None or current.processed_rows < args.restart_after:
            if current is not None and current.is_finished:
                sys.exit(f"the job ended before the restart: {current.status} {current.message}")
            if time.monotonic() - started > args.timeout:
                sys.exit("the job did not reach --restart-after in time")
            time.sleep(0.05)
        at_restart = current.processed_rows
        restart_began = time.monotonic()
        pg_ctl("restart", "-m", "fast", "-w")
        restarted = time.monotonic()
        second_run = ended = None
        while True:
            current = read_job(job.pk)
            now = time.monotonic()
            if current is not None:
                if second_run is None and current.attempts >= 2:
                    second_run = now
                if current.is_finished:
                    ended = now
                    break
            if now - restart_began > args.timeout:
                sys.exit("the job did not end in time")
            time.sleep(0.1)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        log.close()
    numbers = EligibilityRecord.objects.filter(employer=employer).values_list("number", flat=True)
    count, distinct = numbers.count(), len(set(numbers))
    print(f"rows: {args.rows:,} ({args.mode}, batches of {args.batch:,})")
    print(f"processed at the restart: {at_restart:,} rows")
    print(f"pg_ctl restart -m fast: {restarted - restart_began:.1f} s")
    if second_run is not None:
        print(
            f"second run took the job: {second_run - restart_began:.1f} s after the restart began"
        )
    print(f"job ended: {ended - restart_began:.1f} s after the restart began")
    print(f"job: {current.status}, runs {current.attempts}, created {current.created_count:,},")
    print(f"     unchanged {current.unchanged_count:,}; message: {current.message}")
    print(f"records: {count:,}, distinct numbers {distinct:,} (lost {args.rows - distinct:,},")
    print(f"     written twice {count - distinct:,})")
    worker_log = (media / "worker.log").read_text()
    for line in worker_log.splitlines():
        if "import job" in line:
            print(f"worker: {line[:200]}")


if __name__ == "__main__":
    main()
