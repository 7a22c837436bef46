"""Mailing batches on PostgreSQL: set-based planning of N members, and end to end through real
worker processes compared, in the same run, with the renderer alone; workers' peak RSS.

    createdb -h 127.0.0.1 -U postgres kyoukai_bench_batches     # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kyoukai_bench_batches \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/11 \\
      .venv/bin/python -m bench.batches [--members 1000000] [--e2e 20000] [--workers 2]

Members are generated in SQL (generate_series: 70 % insured with an employer, 20 %
dependents, 10 % 任意継続; 20 employers per 1,000 members, so about 45 members each; all
47 branches) when the database holds another number of records, or with ``--regenerate``.
An employer's members acquired eligibility on the same day (the employers spread over
9,000 days), a 任意継続 member on a day of their own: a window of days takes whole
employers, as a real second round does.

Planning = define + launch of an お知らせ to every current member (the INSERT … SELECT
with the window functions, the chunks), nothing queued; ``--plan-runs`` times, each with
the PostgreSQL backend's CPU seconds (from /proc: the server runs on this machine) and the
load average, since on a shared machine the wall time says more about the neighbours.

End to end: an お知らせ batch of about ``--e2e`` members (the second round: those acquired
in a window of days), rendered by ``--workers`` real Celery worker processes (``-P solo``,
each one job at a time like the bulk workers), from launch to the last chunk (and to the
outputs with ``--outputs``); then the same members' items built and rendered by the
renderer alone in as many forked processes: the batch's files, several per renderer child
(``Renderer.render_groups``) as the workers render a chunk's files. Prints
items/s of both and the overhead, by wall time and by CPU time (the workers' own CPU and
their renderer children's, from /proc at the last chunk, less what they had used when
ready; the renderer alone's from wait4); peak RSS of the workers and of their forked
renderer children (sampled from /proc every 0.2 s).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

from bench.common import setup_django

QUEUE = "bench-bulk"


def generate(members: int) -> None:
    from django.db import connection

    employers = max(1, members // 50)
    with connection.cursor() as c:
        c.execute("SELECT MIN(id) FROM core_branch")
        base = c.fetchone()[0]
        c.execute("TRUNCATE notices_returnedmail, notices_mailingchunk, notices_mailingitem,"
                  " notices_mailingbatch, eligibility_eligibilityrecord, eligibility_person,"
                  " eligibility_employer CASCADE")  # fmt: skip
        c.execute(
            "INSERT INTO eligibility_employer (id, symbol, name, name_kana, postal_code, address,"
            " phone, branch_id) SELECT g, lpad(g::text, 8, '0'), '株式会社ベンチ' || g,"
            " 'ベンチ', lpad(((g * 7919) %% 9999999)::text, 7, '0'), '東京都千代田区' || g, '',"
            " %s + g %% 47 FROM generate_series(1::bigint, %s) g",
            [base, employers],
        )
        c.execute(
            "INSERT INTO eligibility_person (id, my_number_last4, my_number_hash,"
            " mynacard_registered) SELECT g, lpad((g %% 10000)::text, 4, '0'), md5(g::text),"
            " g %% 5 <> 0 FROM generate_series(1::bigint, %s) g",
            [members],
        )
        c.execute(
            """
            INSERT INTO eligibility_eligibilityrecord (id, kind, symbol, number, branch_number,
                name, name_kana, birth_date, sex, postal_code, address, acquired_on,
                income_reduction_applied, certificate_requested, branch_id, insured_record_id,
                employer_id, person_id)
            SELECT g,
                CASE WHEN g %% 10 = 9 THEN 'voluntary' WHEN g %% 10 IN (7, 8) THEN 'dependent'
                     ELSE 'insured' END,
                CASE WHEN g %% 10 = 9 THEN '91300001' ELSE lpad(e::text, 8, '0') END,
                CASE WHEN g %% 10 IN (7, 8) THEN (g - g %% 10 + 6)::text ELSE g::text END,
                CASE WHEN g %% 10 IN (7, 8) THEN lpad((g %% 10 - 6)::text, 2, '0') ELSE '00' END,
                '協会　太郎' || (g %% 1000), 'キョウカイ　タロウ',
                date '1950-01-01' + (g %% 20000)::int, CASE WHEN g %% 2 = 0 THEN '1' ELSE '2' END,
                lpad(((g * 104729) %% 9999999)::text, 7, '0'), '東京都新宿区西新宿' || g,
                date '2000-01-01' + CASE WHEN g %% 10 = 9 THEN (g %% 9000)::int
                    ELSE ((e - 1) * 9000 / %s)::int END, false, g %% 50 = 0,
                %s + CASE WHEN g %% 10 = 9 THEN g %% 47 ELSE e %% 47 END,
                CASE WHEN g %% 10 IN (7, 8) THEN g - g %% 10 + 6 END,
                CASE WHEN g %% 10 = 9 THEN NULL ELSE e END, g
            FROM (SELECT g, (g / 10) %% %s + 1 AS e FROM generate_series(1::bigint, %s) g) s
            """,
            [employers, base, employers, members],
        )
        c.execute("ANALYZE eligibility_eligibilityrecord")
        c.execute("ANALYZE eligibility_person")
        c.execute("ANALYZE eligibility_employer")


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """utime + stime of ``pid`` from /proc (plus its waited-for children's with
    ``children``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def plan(services, kind: str, **kwargs) -> tuple[object, float, float]:
    """Define and launch; (batch, wall seconds, the PostgreSQL backend's CPU seconds)."""
    from django.db import connection

    from notices.batches import services as module

    module._enqueue = lambda ids: None  # planning only: nothing queued
    with connection.cursor() as c:
        c.execute("SELECT pg_backend_pid()")
        backend = c.fetchone()[0]
    cpu = cpu_seconds(backend)
    started = time.perf_counter()
    batch = services.define_batch(actor=None, kind=kind, **kwargs)
    services.launch(batch.pk, actor=None)
    seconds = time.perf_counter() - started
    cpu = cpu_seconds(backend) - cpu
    batch.refresh_from_db()
    return batch, seconds, cpu


class RssSampler(threading.Thread):
    """Peak RSS of some processes and, separately, of their descendants (the forked renderers)."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids, self.peak, self.child_peak, self.stop = pids, 0, 0, False

    @staticmethod
    def rss_kb(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    @staticmethod
    def children(pid: int) -> list[int]:
        try:
            text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        except OSError:
            return []
        found = [int(p) for p in text.split()]
        return found + [g for c in found for g in RssSampler.children(c)]

    def run(self) -> None:
        while not self.stop:
            for pid in self.pids:
                self.peak = max(self.peak, self.rss_kb(pid))
                for child in self.children(pid):
                    self.child_peak = max(self.child_peak, self.rss_kb(child))
            time.sleep(0.2)


def start_workers(count: int, media: str) -> list[subprocess.Popen]:
    from django.conf import settings

    env = {
        **os.environ,
        "NOTICE_QUEUE": QUEUE,
        "PRIVATE_MEDIA_ROOT": media,
        "NOTICE_CHUNK_LEASE": str(settings.NOTICE_CHUNK_LEASE),
    }
    procs = []
    for n in range(count):
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", QUEUE, "-P", "solo",
            "-n", f"bench{n}-{os.getpid()}@%h", "-l", "WARNING", "--without-gossip",
            "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        procs.append(
            subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL)
        )
    return procs


def end_to_end(services, target: int, workers: int, outputs: bool) -> None:
    from django.conf import settings
    from django.db import connection

    from config.celery import app
    from notices.batches import services as module
    from notices.batches.models import Kind, MailingBatch, MailingChunk

    importlib_reload_enqueue(module)
    settings.NOTICE_QUEUE = QUEUE
    # A chunk whose worker lost its database connection is taken again after this lease
    # (the bench runs the sweep every 30 s, as the beat does): shorter than production's.
    settings.NOTICE_CHUNK_LEASE = 120
    with connection.cursor() as c:
        c.execute("SELECT COUNT(*) FROM eligibility_eligibilityrecord")
        total = c.fetchone()[0]
    # An earlier run stopped before its outputs leaves its batch 出力作成中 (or 実行中): the
    # sweep below would hand its work to these workers and bill it to this batch.
    left = MailingBatch.objects.exclude(status__in=["done", "cancelled", "draft"])
    if stale := left.update(status="cancelled"):
        print(f"  ({stale} unfinished batch(es) of earlier runs cancelled)")
    days = max(1, round(target * 9000 / total))
    start = date(2000, 1, 1) + timedelta(days=4000)
    media = tempfile.mkdtemp(prefix="bench-batches-")
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(QUEUE)
    procs = start_workers(workers, media)
    deadline = time.monotonic() + 120
    while len(app.control.ping(timeout=1.0)) < workers and time.monotonic() < deadline:
        time.sleep(0.5)
    ready_cpu = sum(cpu_seconds(p.pid, children=True) for p in procs)
    sampler = RssSampler([p.pid for p in procs])
    sampler.start()
    try:
        batch = services.define_batch(
            actor=None, kind=Kind.NOTICE_ACQUIRED, date_from=start,
            date_to=start + timedelta(days=days - 1),
        )  # fmt: skip
        load_before = os.getloadavg()[0]
        t0 = time.perf_counter()
        services.launch(batch.pk, actor=None)
        batch.refresh_from_db()
        chunks = MailingChunk.objects.filter(batch=batch)
        swept = time.monotonic()
        while not all_done(chunks):
            time.sleep(0.2)
            if time.monotonic() - swept > 30:  # the beat's sweep, as in production
                swept = time.monotonic()
                services.sweep()
        rendered_at = time.perf_counter() - t0
        worker_cpu = sum(cpu_seconds(p.pid, children=True) for p in procs) - ready_cpu
        load_after = os.getloadavg()[0]
        total_at = None
        while outputs and MailingBatch.objects.get(pk=batch.pk).status != "done":
            time.sleep(0.2)
            total_at = time.perf_counter() - t0
    finally:
        sampler.stop = True
        for p in procs:
            p.terminate()
        for p in procs:  # a worker busy writing the outputs is not waited for
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    batch.refresh_from_db()
    done = batch.items.filter(state="rendered").count()
    files = batch.items.values("part").distinct().count()
    employers = batch.items.exclude(employer=None).values("employer").distinct().count()
    print(
        f"end to end: {batch.planned:,} お知らせ ({employers:,} employers, {files:,} files),"
        f" {done:,} rendered, {workers} worker processes"
    )
    print(
        f"  launch → last chunk: {rendered_at:.1f} s, {batch.planned / rendered_at:,.1f} items/s;"
        f" CPU of the workers and their renderer children {worker_cpu:.1f} s"
        f" (load average {load_before:.1f} → {load_after:.1f})"
    )
    if total_at is not None:
        print(f"  launch → outputs written (manifests, 対象者一覧表): {total_at:.1f} s")
    print(f"  peak RSS: worker {sampler.peak / 1024:.0f} MB,"
          f" forked renderer child {sampler.child_peak / 1024:.0f} MB")  # fmt: skip
    load_before = os.getloadavg()[0]
    alone, alone_cpu = renderer_alone(batch, workers)
    rate, alone_rate = batch.planned / rendered_at, batch.planned / alone
    print(f"renderer alone ({workers} forked processes, the same files, items built from records):"
          f" {alone:.1f} s, {alone_rate:,.1f} items/s; CPU {alone_cpu:.1f} s"
          f" (load average {load_before:.1f} → {os.getloadavg()[0]:.1f})")  # fmt: skip
    print(f"overhead of the batch machinery: {(1 - rate / alone_rate) * 100:.1f} % by wall time,"
          f" {(worker_cpu / alone_cpu - 1) * 100:.1f} % by CPU time")  # fmt: skip


def all_done(chunks) -> bool:
    """Whether every chunk is done; a connection the server dropped is opened again."""
    from django.db import OperationalError, connection

    try:
        return not chunks.exclude(state="done").exists()
    except OperationalError as exc:
        print(f"  (the database dropped the connection: {exc}; reconnecting)", flush=True)
        connection.close()
        return False


def importlib_reload_enqueue(module) -> None:
    import importlib

    importlib.reload(module)


def renderer_alone(batch, processes: int) -> tuple[float, float]:
    """Wall seconds and CPU seconds (the forked processes and their renderer children)."""
    from django.db import connection

    from notices.batches.models import MailingItem
    from notices.documents.notice import notice_common, notice_item
    from notices.rendering import renderer

    parts = sorted(set(batch.items.values_list("part", flat=True)))
    shares = [parts[n::processes] for n in range(processes)]
    connection.close()
    t0 = time.perf_counter()
    pids = []
    for share in shares:
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                engine = renderer("notice.typ")
                common = notice_common(as_of=batch.as_of)
                items = MailingItem.objects.filter(batch=batch).select_related(
                    "record__branch", "record__person", "record__insured_record"
                )
                groups = (  # the same files as the batch's, several per renderer child
                    (
                        f"part-{part:05d}.pdf",
                        [
                            notice_item(i.record, as_of=batch.as_of, inquiry=i.tracked_text)
                            for i in items.filter(part=part).order_by("seq")
                        ],
                    )
                    for part in share
                )
                with tempfile.TemporaryDirectory() as tmp:
                    for path in engine.render_groups(groups, Path(tmp), common=common):
                        path.unlink()
            except BaseException as exc:
                print(f"renderer alone failed: {exc!r}", file=sys.stderr)
                code = 1
            os._exit(code)
        pids.append(pid)
    cpu = 0.0
    for pid in pids:
        _, _, usage = os.wait4(pid, 0)
        cpu += usage.ru_utime + usage.ru_stime
    return time.perf_counter() - t0, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--e2e", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-plan", action="store_true")
    parser.add_argument("--plan-runs", type=int, default=1, help="plan this many times")
    parser.add_argument("--regenerate", action="store_true", help="generate the members anew")
    parser.add_argument("--outputs", action="store_true", help="also wait for the outputs")
    args = parser.parse_args()
    setup_django("kyoukai_bench_batches")
    from django.db import connection

    from notices.batches import services
    from notices.batches.models import Kind

    with connection.cursor() as c:
        c.execute("SELECT COUNT(*) FROM eligibility_eligibilityrecord")
        have = c.fetchone()[0]
    if have != args.members or args.regenerate:
        t0 = time.perf_counter()
        generate(args.members)
        print(f"generated {args.members:,} members in {time.perf_counter() - t0:.1f} s", flush=True)
    print(f"load average: {os.getloadavg()[0]:.1f} (2 cores)", flush=True)
    for _ in range(0 if args.skip_plan else args.plan_runs):
        batch, seconds, cpu = plan(services, Kind.NOTICE_ALL, as_of=date(2026, 12, 1))
        print(
            f"planning: {batch.planned:,} items, {batch.chunks.count():,} chunks in"
            f" {seconds:.1f} s ({batch.planned / seconds:,.0f} items/s); PostgreSQL backend"
            f" CPU {cpu:.1f} s; load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        with connection.cursor() as c:
            c.execute("TRUNCATE notices_returnedmail, notices_mailingchunk, notices_mailingitem,"
                      " notices_mailingbatch CASCADE")  # fmt: skip
    if args.e2e:
        end_to_end(services, args.e2e, args.workers, args.outputs)


if __name__ == "__main__":
    main()
