"""One command for a load run, with or without a fault, and its figures.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kyoukai_ops_load \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/12 \\
        .venv/bin/python -m loadtest.run [--users 40] [--duration 90] [--port 8112] \\
            [--fault none|postgres|redis|web|worker|web+worker] [--fault-at 30]

Loopback only, bounded in time (``--duration``) and users (``--users``). Steps:

1. starts ``scripts/serve.sh`` on ``--port`` unless something already answers ``/readyz``
   there (and stops it at the end);
2. prepares the accounts (``loadtest.prepare``);
3. starts the bulk work: the mailing batch when ``LOADTEST_BULK_COMMAND`` names the command
   that starts one; until the notices code exists, a stand-in of the same shape, a CSV import
   of ``--bulk-rows`` members on the ``bulk`` queue (``eligibility.tasks.run_import``);
4. sends ``core.tasks.queue_probe`` to ``interactive`` every second (its wait is measured
   by the worker: ``kyoukai_celery_queue_wait_seconds``);
5. runs locust (``loadtest/locustfile.py``) headless, and the fault at ``--fault-at``
   seconds: ``postgres`` restarts the cluster, ``redis`` restarts the server (with the
   machine's exact start command), ``web`` SIGKILLs one gunicorn worker, ``worker`` SIGKILLs
   the bulk worker's child process that runs the batch; ``/readyz`` is then polled every
   0.25 s for the recovery time;
6. prints and writes ``var/loadtest/report-<fault>.md``: throughput, p50/p95/p99 per request
   kind, error rate with the statuses (503 vs 500), the interactive queue's wait, and what was
   lost or duplicated (filings, status changes, return packages, batch items), checked
   against the database.

PostgreSQL and Redis are shared by everyone on this machine: run a fault only when agreed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "loadtest"
PG_RESTART = ["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "restart"]
REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]


def _get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


# --- the stack ---------------------------------------------------------------------------


def ensure_stack(port: int) -> subprocess.Popen | None:
    if _get(f"http://127.0.0.1:{port}/readyz")[0] == 200:
        return None
    env = {
        **os.environ,
        "PORT": str(port),
        "FILING_ANY_HOUR": "1",
        "LOGIN_RATE_PER_ADDRESS": "",
        "LOGIN_RATE_PER_ACCOUNT": "",
    }
    log = (OUT / f"serve-{port}.out").open("a")
    stack = subprocess.Popen(
        [str(ROOT / "scripts" / "serve.sh")],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    for _ in range(240):
        if _get(f"http://127.0.0.1:{port}/readyz")[0] == 200:
            return stack
        time.sleep(1)
    stop_stack(stack)
    sys.exit("the stack did not become ready in 4 minutes (see var/loadtest/serve-*.out)")


def stop_stack(stack: subprocess.Popen | None) -> None:
    if stack is None:
        return
    os.killpg(stack.pid, signal.SIGTERM)
    try:
        stack.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(stack.pid, signal.SIGKILL)


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _pid_of(pattern: str) -> int | None:
    out = subprocess.run(
        ["pgrep", "-f", "-o", "--", pattern], capture_output=True, text=True
    ).stdout
    return int(out.split()[0]) if out.split() else None


# --- faults ------------------------------------------------------------------------------


class Fault(threading.Thread):
    def __init__(self, kind: str, at: float, port: int) -> None:
        super().__init__(daemon=True)
        self.kind, self.at, self.port = kind, at, port
        self.notes: list[str] = []
        self.not_ready_seconds = 0.0
        self.recovered_after: float | None = None
        self.statuses: Counter = Counter()

    def run(self) -> None:
        time.sleep(self.at)
        started = time.monotonic()
        for step in self.kind.split("+"):
            getattr(self, f"_{step}")()
        first_bad = last_bad = None
        deadline = time.monotonic() + 120
        seen_ok_after_bad = 0
        while time.monotonic() < deadline:
            status = _get(f"http://127.0.0.1:{self.port}/readyz", timeout=1)[0]
            self.statuses[status or "no answer within 1 s"] += 1
            now = time.monotonic() - started
            if status != 200:
                first_bad = now if first_bad is None else first_bad
                last_bad = now
                seen_ok_after_bad = 0
            else:
                seen_ok_after_bad += 1
                if seen_ok_after_bad >= 8:  # two seconds of ready in a row
                    break
            time.sleep(0.25)
        if last_bad is not None:
            self.not_ready_seconds = last_bad - (first_bad or 0)
            self.recovered_after = last_bad + 0.25
        else:
            self.recovered_after = 0.0
        self.notes.append(
            f"/readyz not ready from {first_bad or 0:.2f} s to {last_bad or 0:.2f} s after the "
            f"fault began; ready again {self.recovered_after:.2f} s after it; /readyz answers "
            f"polled every 0.25 s: {dict(self.statuses)}"
        )

    def _postgres(self) -> None:
        t = time.monotonic()
        subprocess.run(PG_RESTART, check=False)
        self.notes.append(f"PostgreSQL restarted ({time.monotonic() - t:.2f} s for the command)")
        subprocess.run(["pg_isready", "-h", "127.0.0.1", "-t", "30"], check=False)

    def _redis(self) -> None:
        t = time.monotonic()
        subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "shutdown", "nosave"], check=False, capture_output=True
        )
        subprocess.run(REDIS_START, check=False)
        for _ in range(60):
            if (
                subprocess.run(
                    ["redis-cli", "-h", "127.0.0.1", "ping"], capture_output=True, text=True
                ).stdout.strip()
                == "PONG"
            ):
                break
            time.sleep(0.25)
        self.notes.append(f"Redis restarted, empty (--save ''; {time.monotonic() - t:.2f} s)")

    def _web(self) -> None:
        pid_file = ROOT / "var" / "run" / f"serve-{self.port}" / "gunicorn.pid"
        master = int(pid_file.read_text().split()[0])
        workers = _children(master)
        if workers:
            os.kill(workers[0], signal.SIGKILL)
            self.notes.append(f"SIGKILL gunicorn worker {workers[0]} (of {len(workers)})")

    def _worker(self) -> None:
        main = _pid_of(f"worker -Q bulk -n bulk-{self.port}@")
        children = _children(main) if main else []
        if children:
            os.kill(children[0], signal.SIGKILL)
            self.notes.append(f"SIGKILL the bulk worker's child {children[0]} (running the batch)")
        else:
            self.notes.append("no bulk worker child found")


# --- CPU by role --------------------------------------------------------------------------


def _ticks(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])  # utime + stime


class CpuByRole(threading.Thread):
    """CPU seconds of the web workers, the interactive and bulk workers and the PostgreSQL
    backends of this database only (other engineers' processes are left out), sampled every
    0.5 s; a process first seen during the run counts from zero."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.stop = threading.Event()
        self.first: dict[int, int] = {}
        self.last: dict[int, int] = {}
        self.role: dict[int, str] = {}
        self.started = False

    def _pids(self) -> dict[int, str]:
        from django.db import connection

        roles: dict[int, str] = {}
        pid_file = ROOT / "var" / "run" / f"serve-{self.port}" / "gunicorn.pid"
        try:
            for pid in _children(int(pid_file.read_text().split()[0])):
                roles[pid] = "web"
        except (OSError, ValueError):
            pass
        for queue, role in (("interactive", "interactive worker"), ("bulk", "bulk worker")):
            main = _pid_of(f"-n {queue}-{self.port}@")
            if main:
                roles[main] = role
                for child in _children(main):
                    roles[child] = role
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()"
                )
                for (pid,) in cursor.fetchall():
                    roles[pid] = "postgres"
        except Exception:  # PostgreSQL restarting: next sample
            connection.close()
        return roles

    def run(self) -> None:
        initial = True
        while True:
            for pid, role in self._pids().items():
                ticks = _ticks(pid)
                if ticks is None:
                    continue
                if pid not in self.first:
                    self.first[pid] = ticks if initial else 0
                self.last[pid] = ticks
                self.role[pid] = role
            initial = False
            if self.stop.wait(0.5):
                return

    def seconds(self) -> dict[str, float]:
        hz = os.sysconf("SC_CLK_TCK")
        out: Counter = Counter()
        for pid, last in self.last.items():
            out[self.role[pid]] += (last - self.first[pid]) / hz
        return dict(out)


# --- probes and bulk work ---------------------------------------------------------------


class Prober(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.sent = self.failed = 0

    def run(self) -> None:
        from config.celery import app

        while not self.stop.wait(1.0):
            try:
                app.send_task("core.tasks.queue_probe", queue="interactive", expires=120)
                self.sent += 1
            except Exception:  # the broker is away: counted, the run goes on
                self.failed += 1


def start_bulk(rows: int) -> dict:
    command = os.environ.get("LOADTEST_BULK_COMMAND")
    if command:
        subprocess.run([sys.executable, "manage.py", *command.split()], cwd=ROOT, check=True)
        return {"kind": "mailing", "command": command}
    if rows <= 0:
        return {"kind": "none"}
    from django.core.files import File

    from bench.import_members import generate
    from eligibility.imports.service import submit_job

    # New members each run (a fresh seed): a re-import of unchanged rows would end within
    # seconds instead of running beside the load as a batch does.
    folder = Path(f"/tmp/kyoukai-loadtest/{int(time.time())}")
    folder.mkdir(parents=True, exist_ok=True)
    members_csv = folder / "members.csv"
    generate(folder, rows, seed=int(time.time()))
    jobs = []
    for kind, path in (("employers", folder / "employers.csv"), ("members", members_csv)):
        with path.open("rb") as f:
            job = submit_job(kind=kind, mode="good_rows", upload=File(f, name=path.name), user=None)
        jobs.append(job.pk)
    return {"kind": "import (stand-in for a mailing batch)", "jobs": jobs, "rows": rows}


# --- figures -----------------------------------------------------------------------------


def _metric_samples(text: str, name: str, **labels: str) -> dict[str, float]:
    """{le: value} of a histogram's buckets, plus _sum and _count, for the given labels."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        m = re.match(r"(\w+)\{([^}]*)\} ([0-9.e+-]+|NaN)", line)
        if not m:
            continue
        series, label_text, value = m.groups()
        found = dict(re.findall(r'(\w+)="([^"]*)"', label_text))
        if any(found.get(k) != v for k, v in labels.items()):
            continue
        key = found.get("le", series.rsplit("_", 1)[-1])
        out[key] = out.get(key, 0.0) + float(value)
    return out


def queue_wait(before: str, after: str, queue: str) -> dict[str, float | str]:
    name = "kyoukai_celery_queue_wait_seconds"
    b, a = _metric_samples(before, name, queue=queue), _metric_samples(after, name, queue=queue)
    delta = {k: a.get(k, 0.0) - b.get(k, 0.0) for k in a}
    count = delta.get("count", 0.0)
    if not count:
        return {"count": 0}
    buckets = sorted(
        (float(k), v) for k, v in delta.items() if k not in ("sum", "count") and k != "+Inf"
    )

    def upper(q: float) -> str:
        for le, cumulative in buckets:
            if cumulative >= q * count:
                return f"≤ {le:g} s"
        return "> 300 s"

    return {
        "count": int(count),
        "mean_s": delta.get("sum", 0.0) / count,
        "p50": upper(0.5),
        "p95": upper(0.95),
        "p99": upper(0.99),
    }


def locust_stats(prefix: Path) -> tuple[list[dict], dict, Counter]:
    rows = list(csv.DictReader((prefix.parent / f"{prefix.name}_stats.csv").open()))
    per_kind = [r for r in rows if r["Name"] != "Aggregated"]
    total = next(r for r in rows if r["Name"] == "Aggregated")
    errors: Counter = Counter()
    failures = prefix.parent / f"{prefix.name}_failures.csv"
    if failures.exists():
        for r in csv.DictReader(failures.open()):
            m = re.search(r"(\d{3})|Connection|Remote", r["Error"])
            label = m.group(0) if m else r["Error"][:40]
            errors[f"{r['Name']}: {label}"] += int(r["Occurrences"])
    return per_kind, total, errors


def accounting(journal: Path, since: float, bulk: dict) -> list[str]:
    from django.db.models import Count

    from applications.models import Application, StatusChange

    lines = []
    entries = [json.loads(x) for x in journal.read_text().splitlines()] if journal.exists() else []
    filed = {e["key"]: e["id"] for e in entries if e["kind"] == "filing"}
    gave_up = [e["key"] for e in entries if e["kind"] == "filing_gave_up"]
    in_db = dict(
        Application.objects.filter(idempotency_key__in=list(filed) + gave_up).values_list(
            "idempotency_key", "pk"
        )
    )
    lost = [k for k in filed if k not in in_db]
    dup = (
        Application.objects.filter(idempotency_key__in=list(filed))
        .values("applicant", "idempotency_key")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    lines.append(
        f"filings acknowledged (201) {len(filed)}: lost {len(lost)}, duplicated {dup}; "
        f"given up by the client after retries {len(gave_up)} "
        f"(of which in the database anyway {sum(1 for k in gave_up if k in in_db)})"
    )
    done = [e for e in entries if e["kind"] == "status"]
    missing = 0
    for e in done:
        if not StatusChange.objects.filter(
            application_id=e["application"], to_status=e["to"]
        ).exists():
            missing += 1
    dup_changes = (
        StatusChange.objects.filter(application_id__in={e["application"] for e in done})
        .values("application", "from_status", "to_status")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    lines.append(
        f"status changes confirmed to the reviewer {len(done)}: lost {missing}, "
        f"duplicated {dup_changes}; refused (conflict) "
        f"{sum(1 for e in entries if e['kind'] == 'status_refused')}"
    )
    returned = {e["application"] for e in done if e["to"] == "returned"}
    try:
        from returns.models import ReturnPackage  # type: ignore[attr-defined]
    except ImportError:
        lines.append(f"return packages: not built on this branch yet ({len(returned)} 返戻 made)")
    else:
        # The returns app (main): one ReturnMessage per returned application, its packages
        # are versions; a 返戻 must end with exactly one package, ready.
        rows = list(
            ReturnPackage.objects.filter(message__application_id__in=returned).values_list(
                "message__application_id", "state"
            )
        )
        have = Counter(a for a, _ in rows)
        ready = {a for a, state in rows if state == "ready"}
        lines.append(
            f"return packages for {len(returned)} 返戻: missing {len(returned - set(have))}, "
            f"not ready {len(set(have) - ready)}, more than one "
            f"{sum(1 for n in have.values() if n > 1)}"
        )
    if bulk.get("jobs"):
        from eligibility.models import ImportJob

        for job in ImportJob.objects.filter(pk__in=bulk["jobs"]).order_by("pk"):
            accounted = job.created_count + job.updated_count + job.unchanged_count + job.error_rows
            lines.append(
                f"batch ({job.kind} import #{job.pk}): {job.status}, rows "
                f"{job.processed_rows}/{job.total_rows}, accounted {accounted}"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--duration", type=int, default=90)
    parser.add_argument("--port", type=int, default=8112)
    parser.add_argument("--fault", default="none")
    parser.add_argument("--fault-at", type=float, default=30)
    parser.add_argument("--bulk-rows", type=int, default=200_000)
    parser.add_argument("--members", type=int, default=400)
    args = parser.parse_args()
    if args.duration > 300 or args.users > 200:
        sys.exit("bounded: at most 300 s and 200 users")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("PRIVATE_MEDIA_ROOT", str(ROOT / "var" / "private"))
    os.environ.setdefault("DJANGO_DEBUG", "false")
    OUT.mkdir(parents=True, exist_ok=True)
    import django

    django.setup()
    from applications.models import Application

    stack = ensure_stack(args.port)
    try:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "loadtest.prepare",
                "--members",
                str(args.members),
                "--out",
                str(OUT / "fixture.json"),
            ],
            cwd=ROOT,
            check=True,
        )
        journal = OUT / f"journal-{args.fault}.jsonl"
        journal.unlink(missing_ok=True)
        prefix = OUT / f"locust-{args.fault}"
        base = f"http://127.0.0.1:{args.port}"
        before_apps = Application.objects.count()
        metrics_before = _get(f"{base}/metrics")[1].decode()
        bulk = start_bulk(args.bulk_rows)
        time.sleep(5)  # the batch is running before the members arrive
        # Warm-up, not reported: every gunicorn worker imports its views and libraries.
        subprocess.run(
            [
                str(ROOT / ".venv" / "bin" / "locust"),
                "-f",
                str(ROOT / "loadtest" / "locustfile.py"),
                "--headless",
                "-H",
                base,
                "-u",
                "6",
                "-r",
                "6",
                "-t",
                "15s",
                "--only-summary",
                "--loglevel",
                "ERROR",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "LOADTEST_FIXTURE": str(OUT / "fixture.json"),
                "LOADTEST_JOURNAL": str(OUT / "journal-warmup.jsonl"),
            },
            capture_output=True,
            check=False,
        )
        prober = Prober()
        prober.start()
        cpu = CpuByRole(args.port)
        cpu.start()
        fault = Fault(args.fault, args.fault_at, args.port) if args.fault != "none" else None
        load_before = os.getloadavg()
        started = time.time()
        env = {
            **os.environ,
            "LOADTEST_FIXTURE": str(OUT / "fixture.json"),
            "LOADTEST_JOURNAL": str(journal),
        }
        locust = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "locust"),
                "-f",
                str(ROOT / "loadtest" / "locustfile.py"),
                "--headless",
                "-H",
                base,
                "-u",
                str(args.users),
                "-r",
                str(args.spawn_rate),
                "-t",
                f"{args.duration}s",
                "--csv",
                str(prefix),
                "--only-summary",
                "--stop-timeout",
                "10",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
        )
        if fault:
            fault.start()
        loads = []
        while locust.poll() is None:
            loads.append(os.getloadavg()[0])
            time.sleep(5)
        prober.stop.set()
        cpu.stop.set()
        run_seconds = time.time() - started
        if fault:
            fault.join(timeout=150)
        time.sleep(10)  # the last probes and packages
        from django.db import connection

        connection.close()  # a fault may have killed this process's connection
        metrics_after = _get(f"{base}/metrics")[1].decode()
        per_kind, total, errors = locust_stats(prefix)
        wait = queue_wait(metrics_before, metrics_after, "interactive")
        lines = [
            f"# Load run: fault {args.fault} ({time.strftime('%Y-%m-%d %H:%M', time.gmtime(started))} UTC)",  # noqa: E501
            "",
            f"{args.users} users for {args.duration} s against {base}; bulk: {bulk.get('kind')}; "
            f"load average before {load_before[0]:.1f}, during {min(loads or [0]):.1f}–"
            f"{max(loads or [0]):.1f} on {os.cpu_count()} CPUs; applications in the database "
            f"{before_apps:,}",
            "",
            "| request | count | fail | rps | p50 ms | p95 ms | p99 ms |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in [*per_kind, total]:
            lines.append(
                f"| {r['Name']} | {r['Request Count']} | {r['Failure Count']} | "
                f"{float(r['Requests/s']):.1f} | {r['50%']} | {r['95%']} | {r['99%']} |"
            )
        count = int(total["Request Count"]) or 1
        lines += [
            "",
            f"throughput {float(total['Requests/s']):.1f} requests/s; error rate "
            f"{int(total['Failure Count']) / count:.2%}",
            "errors: " + (", ".join(f"{k} ×{v}" for k, v in errors.most_common()) or "none"),
            f"interactive queue wait (probes sent {prober.sent}, failed to send {prober.failed}): "
            f"{json.dumps(wait, ensure_ascii=False)}",
        ]
        used = cpu.seconds()
        requests = int(total["Request Count"]) or 1
        lines.append(
            f"CPU over {run_seconds:.0f} s: "
            + ", ".join(
                f"{role} {sec:.1f} s ({sec / run_seconds:.2f} cores)"
                for role, sec in sorted(used.items())
            )
            + f"; per request: web {used.get('web', 0) / requests * 1000:.1f} ms, "
            f"PostgreSQL {used.get('postgres', 0) / requests * 1000:.1f} ms"
        )
        if fault:
            lines += [f"fault: {n}" for n in fault.notes]
        lines += ["", *accounting(journal, started, bulk)]
        report = "\n".join(lines)
        print(report)
        (OUT / f"report-{args.fault}.md").write_text(report + "\n")
    finally:
        stop_stack(stack)


if __name__ == "__main__":
    main()
