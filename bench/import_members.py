"""Benchmark: import 1,000,000 member rows from CSV on PostgreSQL, then re-import them.

DATABASE_URL=postgres://postgres@127.0.0.1:5432/kyoukai_bench_imports \
    .venv/bin/python -m bench.import_members --rows 1000000

The database named in DATABASE_URL must contain "bench" in its name and have no other
session connected (other benchmarks may share the server): it is created if missing,
migrated, and its employers, members and import jobs are deleted first. The CSV
(UTF-8, the documented columns, about 30 % of rows with a valid My Number, dates in ISO,
slash and 和暦 forms, one employer per 15 members) is generated under /tmp, the employers
are imported from their own CSV, then the members through the real code path
(eligibility.imports.service.run_job, as the command and the worker run it). Printed:
rows/s, wall time and peak RSS (resource.getrusage) for each run; the re-import must
report 0 created and 0 updated, and after each import no record may refer to a missing
branch, person, employer or insured record (eligibility.integrity).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from bench.postgres_cpu import PostgresCpu

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DJANGO_DEBUG", "false")

MEMBERS_PER_EMPLOYER = 15
#: Between repeated imports: for the previous run's dirty pages to reach the disk.
PAUSE_SECONDS = 10
MY_NUMBER_SHARE = 0.3
BIG_BRANCHES = (13, 27, 23, 14, 11)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child_peak_rss_mb() -> float:
    """The parsing process (eligibility.imports.pipeline) is a child: its own peak."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _cpu_seconds() -> tuple[float, float]:
    """(this process, its finished children): user + system CPU seconds."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, children.ru_utime + children.ru_stime


def _calibration_ms() -> float:
    """A fixed piece of pure-Python work, best of five: how fast this machine is right now.
    Shared machines vary by a third from hour to hour; a run's rows/s reads against it."""
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        sum(i * i for i in range(300_000))
        best = min(best, time.process_time() - started)
    return best * 1000


def _ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[-1].split("?")[0]
    if "bench" not in name:
        sys.exit(f"refusing to use database {name!r}: its name must contain 'bench'")
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
        others = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        ).fetchone()[0]
        if others:
            sys.exit(f"database {name!r} is in use by {others} other session(s): pick another")


def _insurer(code: int) -> str:
    from core.jp.checkdigits import branch_insurer_number

    return branch_insurer_number(code)


def generate(directory: Path, rows: int, seed: int = 2026) -> tuple[Path, Path, int]:
    """Write employers.csv and members.csv; returns their paths and the employer count."""
    from core.jp.checkdigits import my_number_check_digit
    from core.jp.era import format_wareki
    from demo import names
    from eligibility.imports.columns import EMPLOYER_COLUMNS, MEMBER_COLUMNS

    rng = random.Random(seed)
    employers = max(1, rows // MEMBERS_PER_EMPLOYER)
    codes = list(range(1, 48))
    weights = [8 if c in BIG_BRANCHES else 1 for c in codes]
    employer_list: list[tuple[int, str]] = []
    serial: dict[int, int] = {}
    employers_path = directory / "employers.csv"
    with employers_path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow([c.header for c in EMPLOYER_COLUMNS])
        for _ in range(employers):
            code = rng.choices(codes, weights)[0]
            serial[code] = serial.get(code, 0) + 1
            symbol = f"{code:02d}{serial[code]:06d}"
            employer_list.append((code, symbol))
            surname, surname_kana = rng.choice(names.SURNAMES)
            word, word_kana = rng.choice(names.EMPLOYER_WORDS)
            writer.writerow([
                _insurer(code), symbol, f"株式会社{surname}{word}",
                f"カブシキガイシャ{surname_kana}{word_kana}", f"{rng.randrange(10**7):07d}",
                f"{rng.choice(names.CITIES)}{rng.choice(names.TOWNS)}1-2-3",
                f"03-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
            ])  # fmt: skip
    insurers = {code: _insurer(code) for code in codes}
    used: set[str] = set()

    def my_number() -> str:
        if rng.random() >= MY_NUMBER_SHARE:
            return ""
        while True:
            first11 = f"{rng.randrange(10**10, 10**11):011d}"
            number = first11 + str(my_number_check_digit(first11))
            if number not in used:
                used.add(number)
                return number

    def when(d: date) -> str:
        pick = rng.random()
        if pick < 0.8:
            return d.isoformat()
        if pick < 0.95:
            return f"{d.year}/{d.month:02d}/{d.day:02d}"
        return format_wareki(d)

    members_path = directory / "members.csv"
    written = 0
    start_birth = date(1951, 1, 1)
    with members_path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow([c.header for c in MEMBER_COLUMNS])
        for code, symbol in employer_list:
            insurer = insurers[code]
            for number in range(1, MEMBERS_PER_EMPLOYER + 1):
                if written >= rows:
                    break
                surname, surname_kana = rng.choice(names.SURNAMES)
                sex = rng.choice("12")
                given, given_kana = rng.choice(
                    names.MALE_NAMES if sex == "1" else names.FEMALE_NAMES
                )
                birth = start_birth + timedelta(days=rng.randrange(50 * 365))
                acquired = birth + timedelta(days=18 * 365 + rng.randrange(3000))
                acquired = min(acquired, date(2025, 3, 31))
                registered = when(date(2024, 12, 2)) if rng.random() < 0.5 else ""
                postal = f"{rng.randrange(10**7):07d}"
                address = f"{rng.choice(names.CITIES)}{rng.choice(names.TOWNS)}1-2-3"
                writer.writerow([
                    insurer, symbol, number, "00", "被保険者", f"{surname}　{given}",
                    f"{surname_kana}　{given_kana}", when(birth), sex, postal, address,
                    when(acquired), "", rng.choice((180000, 240000, 300000, 410000)),
                    my_number(), registered, rng.choice("01"),
                ])  # fmt: skip
                written += 1
                dependents = rng.choices((0, 1, 2), (60, 25, 15))[0]
                for index in range(1, dependents + 1):
                    if written >= rows:
                        break
                    dsex = rng.choice("12")
                    dgiven, dgiven_kana = rng.choice(
                        names.MALE_NAMES if dsex == "1" else names.FEMALE_NAMES
                    )
                    dbirth = birth + timedelta(days=rng.randrange(20 * 365))
                    recognised = max(acquired, dbirth)
                    writer.writerow([
                        insurer, symbol, number, f"{index:02d}", "被扶養者",
                        f"{surname}　{dgiven}", f"{surname_kana}　{dgiven_kana}", when(dbirth),
                        dsex, postal, address, when(recognised), "", "", my_number(), "", "0",
                    ])  # fmt: skip
                    written += 1
            if written >= rows:
                break
    return employers_path, members_path, written


def timed_import(path: Path, kind: str, mode: str, postgres: PostgresCpu) -> tuple[object, float]:
    from eligibility.imports import service
    from eligibility.models import ImportJob

    job = ImportJob.objects.create(kind=kind, mode=mode, original_name=path.name)
    calibration = _calibration_ms()
    cpu_before, backend_before = _cpu_seconds(), postgres.seconds()
    started = time.perf_counter()
    service.run_job(job, path=path)
    seconds = time.perf_counter() - started
    cpu_after, backend_after = _cpu_seconds(), postgres.seconds()
    rows = max(1, job.processed_rows)
    print(
        f"  CPU µs/行: 本体 {(cpu_after[0] - cpu_before[0]) / rows * 1e6:.1f}"
        f" 解析プロセス {(cpu_after[1] - cpu_before[1]) / rows * 1e6:.1f}"
        f" PostgreSQL（全プロセス） {(backend_after - backend_before) / rows * 1e6:.1f}"
        f" | load average {os.getloadavg()[0]:.2f}"
        f" | 計算速度の目安 {calibration:.1f} ms（前）/ {_calibration_ms():.1f} ms（後）",
        flush=True,
    )
    return job, seconds


def report(label: str, job, seconds: float) -> None:
    rows = job.processed_rows
    print(
        f"{label}: {job.get_status_display()} {rows:,} 行 {seconds:.1f} 秒 "
        f"= {rows / seconds:,.0f} 行/秒 | 新規 {job.created_count:,} 更新 {job.updated_count:,} "
        f"変更なし {job.unchanged_count:,} エラー {job.error_count:,} | "
        f"ピークRSS {_peak_rss_mb():,.0f} MB（解析プロセス {_child_peak_rss_mb():,.0f} MB）",
        flush=True,
    )
    if job.error_count:
        print(f"  {job.message}", flush=True)


def _check_references() -> None:
    """The database does not check the records' references (EligibilityRecord.person): the
    import does. After each import, none may be broken (not timed)."""
    from eligibility.integrity import dangling_references

    broken = {name: count for name, count in dangling_references().items() if count}
    if broken:
        sys.exit(f"参照先のないレコードがあります: {broken}")
    print("  参照の検査: 支部・加入者・事業所・被保険者の参照はすべて有効", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--mode", default="good_rows", choices=["good_rows", "all_or_nothing"])
    parser.add_argument("--dir", default="/tmp/kyoukai-bench")
    parser.add_argument("--reuse-csv", action="store_true", help="use the CSV of an earlier run")
    parser.add_argument(
        "--no-reimport", action="store_true", help="stop after the first import of the members"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="first imports into emptied tables, each after a sync and a pause; prints the "
        "median (this machine's speed varies from minute to minute)",
    )
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL database whose name contains 'bench'")
    _ensure_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE eligibility_importjob, eligibility_eligibilityrecord, eligibility_person, "
            "eligibility_employer RESTART IDENTITY CASCADE"
        )
        cursor.execute("DELETE FROM core_auditevent WHERE object_type LIKE 'eligibility.%%'")

    directory = Path(args.dir)
    directory.mkdir(parents=True, exist_ok=True)
    members_path = directory / "members.csv"
    employers_path = directory / "employers.csv"
    started = time.perf_counter()
    if args.reuse_csv and members_path.exists():
        print(f"CSV: {members_path}（前回の生成を再利用）", flush=True)
    else:
        employers_path, members_path, written = generate(directory, args.rows)
        size = members_path.stat().st_size / 2**20
        print(
            f"CSV 生成: {written:,} 行 {size:,.0f} MB {time.perf_counter() - started:.1f} 秒",
            flush=True,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    postgres = PostgresCpu()
    job, seconds = timed_import(employers_path, "employers", "good_rows", postgres)
    report("事業所の取込", job, seconds)
    rates: list[float] = []
    for attempt in range(args.repeat):
        if attempt:
            with connection.cursor() as cursor:
                cursor.execute(
                    "TRUNCATE eligibility_eligibilityrecord, eligibility_person "
                    "RESTART IDENTITY CASCADE"
                )
            os.sync()
            time.sleep(PAUSE_SECONDS)
        job, seconds = timed_import(members_path, "members", args.mode, postgres)
        report(f"加入者の取込（{args.mode}）", job, seconds)
        rates.append(job.processed_rows / seconds)
        _check_references()
    if args.repeat > 1:
        print(
            f"加入者の取込 {args.repeat} 回: 中央値 {statistics.median(rates):,.0f} 行/秒"
            f"（{min(rates):,.0f}～{max(rates):,.0f}）",
            flush=True,
        )
    if args.no_reimport:
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    job, seconds = timed_import(members_path, "members", args.mode, postgres)
    report(f"加入者の再取込（{args.mode}）", job, seconds)
    if job.created_count or job.updated_count:
        sys.exit("再取込で変更が発生しました（冪等ではありません）")


if __name__ == "__main__":
    main()
