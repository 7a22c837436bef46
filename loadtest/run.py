"""One command for a load run, with or without a fault, and its figures.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kyoukai_ops_load \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/12 \\
        .venv/bin/python -m loadtest.run [--users 40] [--duration 90] [--port 8112] \\
            [--fault none|postgres|redis|web|worker|web+worker] [--fault-at 30] \\
            [--batch-items 3000] [--drain 300]

Loopback only, bounded in time (``--duration``) and users (``--users``). Steps:

1. starts ``scripts/serve.sh`` on ``--port`` unless something already answers ``/readyz``
   there (and stops it at the end, unless ``--keep-stack``);
2. prepares the accounts (``loadtest.prepare``), among them a 東京支部 発送担当;
3. starts the bulk work: a real mailing batch (お知らせ, 期間内の資格取得者, 東京支部) of about
   ``--batch-items`` items, defined and launched by that 発送担当 through
   ``notices.batches.services``, so its chunks run on the ``bulk`` queue beside the load;
   batches left running in this database by an earlier run or by the demo are cancelled
   first, so the bulk queue holds only this run's work;
4. sends ``core.tasks.queue_probe`` to ``interactive`` every second (its wait is measured
   by the worker: ``kyoukai_celery_queue_wait_seconds``);
5. runs locust (``loadtest/locustfile.py``) headless, and the fault at ``--fault-at``
   seconds: ``postgres`` restarts the PostgreSQL server that DATABASE_URL points at,
   ``redis`` the Redis server of CELERY_BROKER_URL (both found from the servers themselves;
   see ``restart_postgres`` and ``restart_redis``), ``web`` SIGKILLs one gunicorn worker,
   ``worker`` SIGKILLs the bulk worker's child process that runs the batch; ``/readyz`` is
   then polled every 0.25 s for the recovery time;
6. after the load, waits (at most ``--drain`` seconds) until the batch is done and every
   返戻 of the run has its package, and times it;
7. prints and writes ``var/loadtest/report-<fault>.md``: throughput, p50/p95/p99 per request
   kind, error rate with the statuses (503 vs 500), the interactive queue's wait, and what was
   lost or duplicated (filings, status changes, return packages, batch items), checked
   against the database and the batch's files.

A fault on the machine's shared servers (port 5432 or 6379) is refused unless
``--shared-ok`` is given: run the faults against a private cluster and redis-server
(loadtest/README.md).
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
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from loadtest.prepare import OPERATOR, use_media_root

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "loadtest"
SHARED_PORTS = {5432, 6379}  # the machine's servers, used by everyone on it


def _pg_settings() -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN "
            "('data_directory', 'config_file', 'port', 'server_version_num')"
        )
        return dict(cursor.fetchall())


def postgres_restart_command() -> list[str]:
    """How to restart the server DATABASE_URL points at: ``LOADTEST_PG_RESTART`` when set;
    a Debian cluster (its config under /etc/postgresql/V/NAME) with ``pg_ctlcluster``; any
    other cluster with ``pg_ctl restart`` on its data directory (it keeps the options it was
    started with), as the data directory's owner."""
    if os.environ.get("LOADTEST_PG_RESTART"):
        return ["sh", "-c", os.environ["LOADTEST_PG_RESTART"]]
    found = _pg_settings()
    config = Path(found["config_file"])
    if config.parts[:3] == ("/", "etc", "postgresql"):
        version, cluster = config.parts[3], config.parts[4]
        return ["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, "restart"]
    data = Path(found["data_directory"])
    major = int(found["server_version_num"]) // 10000
    pg_ctl = f"/usr/lib/postgresql/{major}/bin/pg_ctl"
    command = [pg_ctl, "-D", str(data), "-m", "fast", "-w", "restart"]
    owner = data.owner()
    if os.geteuid() == 0 and owner != "root":
        return ["su", owner, "-c", " ".join(command) + " >/dev/null"]
    return command


def redis_address() -> tuple[str, int]:
    url = urllib.parse.urlparse(os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"))
    return url.hostname or "127.0.0.1", url.port or 6379


def redis_start_command() -> list[str]:
    """How to start again the Redis server of CELERY_BROKER_URL: ``LOADTEST_REDIS_START``
    when set; otherwise its own port, bind, dir, logfile and persistence settings, read from
    it with CONFIG GET before it is stopped."""
    if os.environ.get("LOADTEST_REDIS_START"):
        return ["sh", "-c", os.environ["LOADTEST_REDIS_START"]]
    host, port = redis_address()
    config: dict[str, str] = {}
    for key in ("bind", "dir", "logfile", "save", "appendonly"):
        out = subprocess.run(
            ["redis-cli", "-h", host, "-p", str(port), "config", "get", key],
            capture_output=True,
            text=True,
        ).stdout.splitlines()
        config[key] = out[1] if len(out) > 1 else ""
    command = ["redis-server", "--daemonize", "yes", "--port", str(port)]
    command += ["--bind", *(config["bind"] or host).split()]
    command += ["--save", config["save"], "--appendonly", config["appendonly"] or "no"]
    for key in ("dir", "logfile"):
        if config[key]:
            command += [f"--{key}", config[key]]
    return command


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
    if not env.get("RETURNS_SIGNING_KEYS"):
        # production refuses to start without it, and serve.sh does not generate it (yet):
        # one random key for this machine's load runs, kept like serve.sh's secrets.
        key_file = OUT / "returns-signing.key"
        if not key_file.exists():
            import secrets

            key_file.write_text(f"load:{secrets.token_urlsafe(32)}")
            key_file.chmod(0o600)
        env["RETURNS_SIGNING_KEYS"] = key_file.read_text().strip()
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
        if stack.poll() is not None:
            sys.exit(f"the stack ended at start ({stack.returncode}): see {log.name}")
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


def locust_command() -> str:
    """``LOADTEST_LOCUST``, else the project's venv's locust (the ``load`` extra), else the
    one on PATH (e.g. a venv of its own: locust pins gevent and friends)."""
    own = ROOT / ".venv" / "bin" / "locust"
    return os.environ.get("LOADTEST_LOCUST") or (str(own) if own.exists() else "locust")


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
    def __init__(self, kind: str, at: float, port: int, commands: dict[str, list[str]]) -> None:
        super().__init__(daemon=True)
        self.kind, self.at, self.port, self.commands = kind, at, port, commands
        self.pg_port = str(_pg_settings()["port"]) if "postgres" in kind else "5432"
        self.notes: list[str] = []
        self.not_ready_seconds = 0.0
        self.recovered_after: float | None = None
        self.statuses: Counter = Counter()
        self.started_at = 0.0
        self.action_seconds = 0.0
        self.outage = (0.0, 0.0)

    def run(self) -> None:
        time.sleep(self.at)
        self.started_at = time.time()
        started = time.monotonic()
        polls: list[tuple[float, int]] = []
        stop = threading.Event()

        def poll() -> None:  # from the moment the fault begins, every 0.25 s
            while not stop.is_set():
                status = _get(f"http://127.0.0.1:{self.port}/readyz", timeout=2)[0]
                polls.append((time.monotonic() - started, status))
                stop.wait(0.25)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        for step in self.kind.split("+"):
            getattr(self, f"_{step}")()
        self.action_seconds = time.monotonic() - started
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # two seconds of ready in a row after the action
            after = [status for t, status in polls if t >= self.action_seconds]
            if len(after) >= 8 and all(status == 200 for status in after[-8:]):
                break
            time.sleep(0.25)
        stop.set()
        poller.join(timeout=5)
        bad = [t for t, status in polls if status != 200]
        self.statuses = Counter(status or "no answer within 2 s" for _t, status in polls)
        first_bad, last_bad = (bad[0], bad[-1]) if bad else (None, None)
        self.outage = (first_bad or 0.0, last_bad or 0.0)
        self.not_ready_seconds = (last_bad - first_bad) if bad else 0.0
        self.recovered_after = (last_bad + 0.25) if bad else 0.0
        self.notes.append(
            f"the fault's commands took {self.action_seconds:.2f} s; /readyz not ready from "
            f"{first_bad or 0:.2f} s to {last_bad or 0:.2f} s after the fault began, ready again "
            f"{self.recovered_after:.2f} s after it; /readyz answers polled every 0.25 s: "
            f"{dict(self.statuses)}"
        )

    def _postgres(self) -> None:
        t = time.monotonic()
        result = subprocess.run(self.commands["postgres"], check=False, capture_output=True)
        self.notes.append(
            f"PostgreSQL restarted ({' '.join(self.commands['postgres'][:4])}…, exit "
            f"{result.returncode}, {time.monotonic() - t:.2f} s for the command)"
        )
        subprocess.run(
            ["pg_isready", "-h", "127.0.0.1", "-p", self.pg_port, "-t", "30"],
            check=False,
            capture_output=True,
        )

    def _redis(self) -> None:
        t = time.monotonic()
        host, port = redis_address()
        cli = ["redis-cli", "-h", host, "-p", str(port)]
        subprocess.run([*cli, "shutdown", "nosave"], check=False, capture_output=True)
        subprocess.run(self.commands["redis"], check=False)
        for _ in range(60):
            if subprocess.run([*cli, "ping"], capture_output=True, text=True).stdout.strip() == (
                "PONG"
            ):
                break
            time.sleep(0.25)
        self.notes.append(
            f"Redis {host}:{port} restarted, empty (no persistence; {time.monotonic() - t:.2f} s)"
        )

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


def _ticks(pid: int, *, waited_children: bool = False) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # utime + stime; with ``waited_children``, also cutime + cstime: the children it waited
    # for (the renderer's forks of a worker's pool process, one per file), which the 0.5 s
    # samples would mostly miss. Not for a Celery main process: when it reaps a pool
    # process, that process's whole life would be added at once.
    return sum(int(x) for x in fields[11 : 15 if waited_children else 13])


class CpuByRole(threading.Thread):
    """CPU seconds of the web workers, the interactive and bulk workers (with the children
    they forked and waited for) and the PostgreSQL backends of this database only (other
    engineers' processes are left out), sampled every 0.5 s; a process first seen during the
    run counts from zero."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.stop = threading.Event()
        self.first: dict[int, int] = {}
        self.last: dict[int, int] = {}
        self.role: dict[int, str] = {}
        self.started = False
        self.mains: set[int] = set()

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
                self.mains.add(main)
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
                ticks = _ticks(
                    pid, waited_children=role.endswith("worker") and pid not in self.mains
                )
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


BATCH_BRANCH_CODE = 13  # 東京支部


def _operator() -> Any:
    from core.models import User

    return User.objects.get(username=OPERATOR)


def start_bulk(items: int) -> dict[str, Any]:
    """Define and launch a お知らせ batch (期間内の資格取得者, 東京支部) of about ``items``
    items, as the load's 発送担当; the window of acquisition dates is widened day by day
    back from today until it holds that many members. Earlier batches still running in this
    database are cancelled first (through the service, audited)."""
    from datetime import timedelta

    from django.utils import timezone

    from core.models import Branch
    from notices.batches import planning, services
    from notices.batches.models import Kind, MailingBatch

    if items <= 0:
        return {"kind": "none"}
    operator = _operator()
    for old in MailingBatch.objects.filter(
        status__in=[MailingBatch.Status.RUNNING, MailingBatch.Status.PAUSED]
    ):
        services.cancel(old.pk, actor=None)
    branch = Branch.objects.get(code=BATCH_BRANCH_CODE)
    today = timezone.localdate()
    low, high = 1, 365 * 60
    while low < high:  # the fewest days back that hold ``items`` members
        days = (low + high) // 2
        probe = MailingBatch(
            kind=Kind.NOTICE_ACQUIRED,
            as_of=today,
            date_from=today - timedelta(days=days),
            date_to=today,
            branch=branch,
        )
        if planning.count_selection(probe, today=today) >= items:
            high = days
        else:
            low = days + 1
    batch = services.define_batch(
        actor=operator,
        kind=Kind.NOTICE_ACQUIRED,
        date_from=today - timedelta(days=low),
        date_to=today,
        branch_id=branch.pk,
    )
    t = time.monotonic()
    batch = services.launch(batch.pk, actor=operator)
    return {
        "kind": f"mailing batch #{batch.pk} (お知らせ, 期間内の資格取得者, 東京支部)",
        "batch": batch.pk,
        "planned": batch.planned,
        "chunks": batch.chunks.count(),
        "launch_s": round(time.monotonic() - t, 2),
        "launched": time.time(),
    }


def _returned_since(started: float) -> set[int]:
    """Applications returned (返戻) during the run, from the database's history."""
    from datetime import UTC, datetime

    from applications.models import StatusChange

    since = datetime.fromtimestamp(started, tz=UTC)
    return set(
        StatusChange.objects.filter(to_status="returned", at__gte=since).values_list(
            "application_id", flat=True
        )
    )


def batch_progress(bulk: dict[str, Any]) -> str:
    from django.db import connection
    from django.db.models import Count

    from notices.batches.models import MailingItem

    if not bulk.get("batch"):
        return "no batch"
    try:
        states = dict(
            MailingItem.objects.filter(batch_id=bulk["batch"])
            .values_list("state")
            .annotate(n=Count("id"))
            .values_list("state", "n")
        )
    except Exception:  # PostgreSQL still coming back
        connection.close()
        return "unknown (database away)"
    settled = sum(n for state, n in states.items() if state != "pending")
    rate = settled / max(time.time() - bulk["launched"], 1.0)
    return (
        f"batch items {states}, {rate:.1f} items/s since the launch (the batch was still "
        f"running: {states.get('pending', 0) > 0})"
    )


def drain(bulk: dict[str, Any], started: float, limit: float) -> dict[str, Any]:
    """Wait until the batch is done and every 返戻 of the run has a settled package (ready or
    failed), at most ``limit`` seconds; returns how long it took and what was left open."""
    from django.db import connection

    from notices.batches.models import MailingBatch, MailingItem
    from returns.models import ReturnPackage

    t = time.monotonic()
    deadline = t + limit
    while True:
        try:
            returned = _returned_since(started)
            open_packages = ReturnPackage.objects.filter(
                message__application_id__in=returned, state__in=["pending", "building"]
            ).count() + len(
                returned
                - set(
                    ReturnPackage.objects.filter(message__application_id__in=returned).values_list(
                        "message__application_id", flat=True
                    )
                )
            )
            batch_open = 0
            if bulk.get("batch"):
                status = MailingBatch.objects.get(pk=bulk["batch"]).status
                batch_open = (
                    0
                    if status == MailingBatch.Status.DONE
                    else MailingItem.objects.filter(
                        batch_id=bulk["batch"], state=MailingItem.State.PENDING
                    ).count()
                    or 1
                )
        except Exception:  # PostgreSQL still coming back
            connection.close()
            open_packages = batch_open = -1
        if (open_packages == 0 and batch_open == 0) or time.monotonic() > deadline:
            return {
                "seconds": time.monotonic() - t,
                "open_packages": open_packages,
                "batch_items_open": batch_open,
            }
        time.sleep(2)


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


def error_timing(journal: Path, fault: Fault | None) -> str:
    """When the server errors and dropped connections came, relative to the fault: the goal
    is errors only while a dependency is down (the fault's commands, or /readyz not ready)."""
    entries = [json.loads(x) for x in journal.read_text().splitlines()] if journal.exists() else []
    errors = [e for e in entries if e["kind"] == "error"]
    by_status = Counter(e["status"] or "dropped connection" for e in errors)
    if not errors:
        return "server errors and dropped connections: none"
    if fault is None or not fault.started_at:
        return f"server errors and dropped connections: {dict(by_status)} (no fault)"
    times = [e["at"] - fault.started_at for e in errors]
    window_end = max(fault.action_seconds, fault.outage[1]) + 1.0  # a request in flight
    outside = sum(1 for t in times if t < -1.0 or t > window_end)
    recovered = max(fault.recovered_after or 0.0, max(times))
    return (
        f"server errors and dropped connections: {dict(by_status)}, from {min(times):.2f} s "
        f"to {max(times):.2f} s after the fault began; outside the outage (fault start to "
        f"{window_end:.2f} s): {outside}; recovered (the last error or not-ready answer) "
        f"{recovered:.2f} s after the fault began"
    )


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
    confirmed = {e["application"] for e in done if e["to"] == "returned"}
    lines.append(package_accounting(confirmed, _returned_since(since)))
    if bulk.get("batch"):
        lines += batch_accounting(bulk["batch"])
    return lines


def package_accounting(confirmed: set[int], returned: set[int]) -> str:
    """A 返戻 must end with exactly one package (version 1), ready, with its files; the
    returns made during the run are read from the history, so a 返戻 whose answer the
    reviewer never saw (a dropped connection) is counted too."""
    from returns.models import ReturnFile, ReturnPackage

    rows = list(
        ReturnPackage.objects.filter(message__application_id__in=returned).values_list(
            "message__application_id", "state", "pk"
        )
    )
    have = Counter(a for a, _s, _p in rows)
    ready = {pk: a for a, state, pk in rows if state == "ready"}
    with_files = set(
        ReturnFile.objects.filter(package_id__in=list(ready)).values_list("package_id", flat=True)
    )
    not_ready = {a for a, state, _p in rows if state != "ready"}
    return (
        f"return packages for {len(returned)} 返戻 in the history ({len(confirmed)} confirmed "
        f"to the reviewer, {len(confirmed - returned)} of those missing from the history): "
        f"lost (no package) {len(returned - set(have))}, not ready {len(not_ready)}, ready "
        f"without files {len(set(ready) - with_files)}, duplicated (more than one) "
        f"{sum(1 for n in have.values() if n > 1)}"
    )


def batch_accounting(batch_id: int) -> list[str]:
    """Each planned item ends rendered exactly once (``render_count`` 1, in a file that
    exists), or skipped or failed with its reason; no file of the batch holds items that
    another file holds too (an orphaned copy from a repeated render)."""
    from django.db.models import Count, Q

    from notices.batches.models import MailingBatch, MailingChunk
    from notices.batches.storage import batch_storage

    batch = MailingBatch.objects.get(pk=batch_id)
    items = batch.items
    states = dict(items.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    rendered = items.filter(state="rendered")
    twice = items.filter(render_count__gt=1).count()
    unmarked = items.filter(~Q(state="rendered"), render_count__gt=0).count()
    files = set(rendered.values_list("file", flat=True))
    storage = batch_storage()
    missing_files = [name for name in files if not storage.exists(name)]
    lost_items = rendered.filter(file__in=missing_files).count() + states.get("pending", 0)
    folder = f"mailings/{batch_id}"
    try:
        stored = {f"{folder}/{name}" for name in storage.listdir(folder)[1]}
    except FileNotFoundError:
        stored = set()
    # The documents' files are named "<document>-<part>-…" (the employers' lists "list-…").
    orphans = sorted(
        name
        for name in stored
        if name.startswith(f"{folder}/{batch.document}-") and name not in files
    )
    chunks = dict(
        batch.chunks.values_list("state").annotate(n=Count("id")).values_list("state", "n")
    )
    attempts = batch.chunks.filter(attempts__gt=1).count()
    took = (
        f", launch → done {(batch.finished_at - batch.launched_at).total_seconds():.0f} s"
        if batch.finished_at and batch.launched_at
        else ""
    )
    return [
        f"batch items: planned {batch.planned}, {states}; lost {lost_items} (pending at the "
        f"end, or marked rendered in a missing file: {len(missing_files)} files), duplicated "
        f"{twice} (rendered more than once), counted but not rendered {unmarked}; orphaned "
        f"PDF files {len(orphans)}",
        f"batch #{batch_id}: {batch.get_status_display()} ({batch.status}){took}; chunks "
        f"{chunks} of {MailingChunk.objects.filter(batch=batch).count()}, claimed more than "
        f"once {attempts}; {len(files)} PDF files",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--duration", type=int, default=90)
    parser.add_argument("--port", type=int, default=8112)
    parser.add_argument("--fault", default="none")
    parser.add_argument("--fault-at", type=float, default=30)
    parser.add_argument("--batch-items", type=int, default=3000)
    parser.add_argument("--drain", type=float, default=300)
    parser.add_argument("--members", type=int, default=400)
    parser.add_argument(
        "--keep-stack", action="store_true", help="leave the stack it started running"
    )
    parser.add_argument(
        "--shared-ok",
        action="store_true",
        help="allow a PostgreSQL or Redis fault on the machine's shared servers",
    )
    args = parser.parse_args()
    if args.duration > 300 or args.users > 200 or args.drain > 900:
        sys.exit("bounded: at most 300 s, 200 users and a drain of 900 s")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    use_media_root()
    os.environ.setdefault("DJANGO_DEBUG", "false")
    # Leases and sweeps short enough for a run of minutes: what a killed worker or a lost
    # message left is taken up again within about a minute (production: 10 min, 2 min, 5 min).
    for key, value in {
        "NOTICE_CHUNK_LEASE": "60",
        "NOTICE_SWEEP_INTERVAL": "20",
        "RETURNS_SWEEP_EVERY_SECONDS": "20",
        "RETURNS_SWEEP_PENDING_AFTER_SECONDS": "20",
        "RETURNS_BUILD_STALE_SECONDS": "60",
    }.items():
        os.environ.setdefault(key, value)
    OUT.mkdir(parents=True, exist_ok=True)
    import django

    django.setup()
    commands: dict[str, list[str]] = {}
    if "postgres" in args.fault:
        port = int(_pg_settings()["port"])
        if port in SHARED_PORTS and not args.shared_ok:
            sys.exit(f"refused: PostgreSQL on port {port} is shared (--shared-ok to allow)")
        commands["postgres"] = postgres_restart_command()
    if "redis" in args.fault:
        port = redis_address()[1]
        if port in SHARED_PORTS and not args.shared_ok:
            sys.exit(f"refused: Redis on port {port} is shared (--shared-ok to allow)")
        commands["redis"] = redis_start_command()
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
        bulk = start_bulk(args.batch_items)
        time.sleep(5)  # the batch is running before the members arrive
        # Warm-up, not reported: every gunicorn worker imports its views and libraries.
        subprocess.run(
            [
                locust_command(),
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
        fault = (
            Fault(args.fault, args.fault_at, args.port, commands) if args.fault != "none" else None
        )
        load_before = os.getloadavg()
        started = time.time()
        env = {
            **os.environ,
            "LOADTEST_FIXTURE": str(OUT / "fixture.json"),
            "LOADTEST_JOURNAL": str(journal),
        }
        locust = subprocess.Popen(
            [
                locust_command(),
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
        at_end = batch_progress(bulk)
        drained = drain(bulk, started, args.drain)
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
        lines.append(error_timing(journal, fault))
        lines += [
            "",
            f"bulk: {json.dumps(bulk, ensure_ascii=False, default=str)}; when the load ended: "
            f"{at_end}",
            f"work settled {drained['seconds']:.1f} s after the load ended (the batch done, "
            f"every 返戻's package built; left open: packages {drained['open_packages']}, "
            f"batch items {drained['batch_items_open']})",
            *accounting(journal, started, bulk),
        ]
        report = "\n".join(lines)
        print(report)
        (OUT / f"report-{args.fault}.md").write_text(report + "\n")
    finally:
        if not args.keep_stack:
            stop_stack(stack)


if __name__ == "__main__":
    main()
