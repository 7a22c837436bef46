"""The employers' 対象者一覧表 of a batch as output chunks: one process writing every chunk in
turn (what the single task did before), then the same chunks written by ``--workers`` real
Celery worker processes; prints lists per second of both.

    createdb -h 127.0.0.1 -U postgres kyoukai_bench_lists   # once, then migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kyoukai_bench_lists \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/11 \\
      .venv/bin/python -m bench.employer_lists [--employers 100] [--workers 2]

Members come from ``bench.batches.generate`` (50 per employer). The batch is an お知らせ to
every current member; its items are marked rendered in SQL (rendering is not measured here),
so the figures are the outputs alone: the manifest chunk and the list chunks of
``NOTICE_LIST_CHUNK_EMPLOYERS`` employers each.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

from bench.common import setup_django

QUEUE = "bench-lists"


def start_worker(n: int, cwd: object) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", QUEUE, "-P", "solo",
        "-n", f"lists{n}-{os.getpid()}@%h", "-l", "WARNING",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=cwd, env={**os.environ})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--employers", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--per-chunk", type=int, default=10)
    args = parser.parse_args()
    os.environ["NOTICE_QUEUE"] = QUEUE
    os.environ["NOTICE_LIST_CHUNK_EMPLOYERS"] = str(args.per_chunk)
    media = tempfile.mkdtemp(prefix="bench-lists-")
    os.environ["PRIVATE_MEDIA_ROOT"] = media
    setup_django("kyoukai_bench_lists")

    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from bench.batches import generate
    from notices.batches import finishing, services
    from notices.batches.models import Kind, MailingBatch, OutputChunk

    settings.MEDIA_ROOT = media
    members = args.employers * 50
    with connection.cursor() as c:
        c.execute("SELECT COUNT(*) FROM eligibility_employer")
        if c.fetchone()[0] != args.employers:
            generate(members)
    services._enqueue = lambda ids: None  # the rendering chunks are not run here
    batch = services.define_batch(actor=None, kind=Kind.NOTICE_ALL, as_of=timezone.localdate())
    services.launch(batch.pk, actor=None)
    batch.refresh_from_db()
    batch.items.update(state="rendered", render_count=1)
    batch.chunks.update(state="done")

    def restart() -> None:
        OutputChunk.objects.filter(batch=batch).delete()
        MailingBatch.objects.filter(pk=batch.pk).update(status=MailingBatch.Status.RUNNING)

    # One process, every chunk in turn.
    real_enqueue = finishing.enqueue
    finishing.enqueue = lambda ids: None
    restart()
    started = time.perf_counter()
    finishing.run_here(batch.pk)
    single = time.perf_counter() - started
    lists = finishing.list_progress(batch).done
    finishing.enqueue = real_enqueue
    chunks = OutputChunk.objects.filter(batch=batch).count()

    # Real workers on the queue.
    workers = [start_worker(n, settings.BASE_DIR) for n in range(args.workers)]
    try:
        time.sleep(8)  # the workers start
        restart()
        started = time.perf_counter()
        finishing.start(batch.pk)
        while MailingBatch.objects.get(pk=batch.pk).status != MailingBatch.Status.DONE:
            time.sleep(0.2)
        parallel = time.perf_counter() - started
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
    load = os.getloadavg()
    print(f"employers' lists: {lists} (items {batch.planned:,}), {chunks} output chunks")
    print(f"one process, chunks in turn: {single:.1f} s, {lists / single:.2f} lists/s")
    print(
        f"{args.workers} worker processes:         {parallel:.1f} s,"
        f" {lists / parallel:.2f} lists/s ({single / parallel:.2f}×)"
    )
    print(f"load average at the end: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}")


if __name__ == "__main__":
    main()
