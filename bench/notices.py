"""資格情報のお知らせ: the plain approach (HTML/CSS, one WeasyPrint write_pdf per member)
against the fast path (notices.rendering: Typst, files of members compiled in forked
children), on the same realistic members, side by side in one run.

    .venv/bin/python -m bench.notices [--members 1000] [--plain 40] [--memory-pages 0]
    .venv/bin/python -m bench.notices --members 0 --memory-pages 100000

Members are built in memory from the eligibility models (unsaved; no database needed):
long addresses and names, 外字 (髙, 﨑, 𠮷), dependents, 任意継続, no My Number. Figures
per core are pages per CPU second of every process involved (this one and its children).
A notice is two pages (表, 裏); both are counted, and members per second are printed too.
``--memory-pages N`` then renders N pages in a row and prints the peak RSS.
"""

from __future__ import annotations

import argparse
import html
import os
import random
import resource
import shutil
import string
import tempfile
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

AS_OF = date(2024, 6, 7)
LONG_ADDRESS = (
    "北海道札幌市北区北十条西三丁目二十三番地一号"
    "ザ・ピーク札幌協会けんぽマンション第二棟一二三四号室"
)
LONG_NAMES = (
    "髙﨑𠮷之助長長長長長長長長長長長長長長長長長長長長長長長長長",
    "﨑山　𠮷右衛門左衛門之丞",
)


def _calibration_ms() -> float:
    """A fixed piece of pure-Python work, best of five: how fast this machine is right now."""
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        sum(i * i for i in range(300_000))
        best = min(best, time.process_time() - started)
    return best * 1000


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def members(count: int, seed: int = 2026) -> list:
    """Unsaved eligibility records with their branch, person and insured record."""
    return list(iter_members(count, seed))


def iter_members(count: int, seed: int = 2026):
    """The members one by one (the 100,000-page run does not hold them all)."""
    from core.models import Branch
    from demo import names
    from eligibility.models import EligibilityRecord, Person, Sex

    rng = random.Random(seed)
    branches = [
        Branch(code=1, prefecture="北海道", name="北海道支部", insurer_number="01010016",
               contact_lines="全国健康保険協会 北海道支部\nTEL 011-726-0352"),
        Branch(code=13, prefecture="東京都", name="東京支部", insurer_number="01130012",
               contact_lines="全国健康保険協会 東京支部\nTEL 03-6853-6111"),
    ]  # fmt: skip
    insured = None
    for i in range(count):
        surname, surname_kana = rng.choice(names.SURNAMES)
        given, given_kana = rng.choice(names.MALE_NAMES + names.FEMALE_NAMES)
        name, kana = f"{surname}　{given}", f"{surname_kana}　{given_kana}"
        block = f"{rng.randint(1, 9)}-{rng.randint(1, 30)}-{rng.randint(1, 9)}"
        address = f"東京都千代田区千代田{block}"
        if i % 10 == 3:  # the longest values
            name, kana, address = rng.choice(LONG_NAMES)[:30], kana * 3, LONG_ADDRESS[:60]
        last4 = "" if i % 20 == 7 else f"{rng.randrange(10_000):04d}"
        person = Person(my_number_last4=last4)
        kind = EligibilityRecord.Kind.INSURED
        if i % 4 == 1 and insured is not None:
            kind = EligibilityRecord.Kind.DEPENDENT
        elif i % 25 == 2:
            kind = EligibilityRecord.Kind.VOLUNTARY
        birth = date(rng.randint(1951, 2020), rng.randint(1, 12), rng.randint(1, 28))
        record = EligibilityRecord(
            pk=i + 1, person=person, kind=kind, branch=branches[i % 2],
            symbol=f"{13000000 + i // 15}", number=str(i // 3 + 1),
            branch_number="01" if kind == EligibilityRecord.Kind.DEPENDENT else "00",
            name=name, name_kana=kana, birth_date=birth, sex=Sex.MALE,
            postal_code="1000001", address=address,
            acquired_on=max(birth, date(2000, 4, 1)), standard_monthly_remuneration=300_000,
            insured_record=insured if kind == EligibilityRecord.Kind.DEPENDENT else None,
        )  # fmt: skip
        if kind == EligibilityRecord.Kind.INSURED:
            insured = record
        yield record


def plain(records) -> tuple[float, float, int, int]:
    """(wall s, CPU s, bytes, pages): one WeasyPrint write_pdf per member."""
    import segno
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from notices.documents.notice import notice_common, notice_item

    template = string.Template(
        (Path(__file__).parent / "templates" / "notice_plain.html").read_text()
    )
    fonts = FontConfiguration()  # one per process: each keeps a font set alive until GC
    common = notice_common(as_of=AS_OF)
    portal = segno.make_qr("https://myna.go.jp/").svg_inline(scale=1)
    wall, cpu = time.perf_counter(), time.process_time()
    size = pages = 0
    for record in records:
        item = notice_item(record, as_of=AS_OF, inquiry=f"13-{record.pk:09d}-1")
        values = {k: html.escape(v) for k, v in item.items() if k != "qr"}
        values["qr"] = segno.make_qr(f"KKN1-{item['inquiry']}").svg_inline(scale=1)
        values["portal_qr"] = portal
        values["as_of_text"] = common["as_of_text"]
        values["recipient_size"] = "13" if len(item["recipient"]) <= 16 else "8"
        values["my_number_text"] = (
            "現在、協会けんぽに登録されているあなたの個人番号（マイナンバー）は次のとおりです。"
            if item["my_number"]
            else "協会けんぽには、あなたの個人番号（マイナンバー）が登録されていません。"
        )
        document = HTML(string=template.substitute(values)).render(font_config=fonts)
        pdf = document.write_pdf()
        size += len(pdf)
        pages += len(document.pages)
    return time.perf_counter() - wall, time.process_time() - cpu, size, pages


def fast(records, per_file: int, count: int | None = None) -> tuple[float, float, int, int]:
    """(wall s, CPU s of this process and its children, bytes, pages)."""
    from notices.documents.notice import PAGES_PER_ITEM, notice_common, notice_item, notice_renderer

    render = notice_renderer()
    common = notice_common(as_of=AS_OF)
    # Once per process, not per member: the glyph widths and the static layer.
    started = time.perf_counter()
    render.fitted([notice_item(members(1)[0], as_of=AS_OF, inquiry="0")], common)
    render._with_static(common)
    prepared = time.perf_counter() - started
    print(f"  （準備: フォント幅・静的レイヤー {prepared:.2f} s、プロセスごとに1回）")
    directory = Path(tempfile.mkdtemp(prefix="bench-notices-"))
    try:
        wall, cpu = time.perf_counter(), _cpu()
        items = (
            notice_item(r, as_of=AS_OF, inquiry=f"13-{r.pk:09d}-1") for r in records
        )  # built as the files go, everything per member included (QR code, fitting)
        paths = list(render.render_files(items, directory, common=common, per_file=per_file))
        wall, cpu = time.perf_counter() - wall, _cpu() - cpu
        size = sum(p.stat().st_size for p in paths)
    finally:
        shutil.rmtree(directory)
    return wall, cpu, size, (count or len(records)) * PAGES_PER_ITEM


def _rss_mb() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return me, children


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--plain", type=int, default=40, help="members through WeasyPrint")
    parser.add_argument("--per-file", type=int, default=None)
    parser.add_argument("--memory-pages", type=int, default=0)
    args = parser.parse_args()

    import django

    django.setup()
    from notices.rendering import ITEMS_PER_FILE

    per_file = args.per_file or ITEMS_PER_FILE
    if args.members:
        compare(args, per_file)
    if args.memory_pages:
        memory(args, per_file)


def compare(args: argparse.Namespace, per_file: int) -> None:
    records = members(args.members)
    print(
        f"資格情報のお知らせ: {args.members:,} 人（長い値・外字・被扶養者・任意継続を含む）"
        f" | load average {os.getloadavg()[0]:.2f} | 計算速度の目安 {_calibration_ms():.1f} ms",
        flush=True,
    )
    f_wall, f_cpu, f_size, f_pages = fast(records, per_file)
    print(
        f"  高速経路 (Typst, {per_file} 人/ファイル, 子プロセス): {f_pages:,} ページ"
        f" CPU {f_cpu:.2f} s = {f_pages / f_cpu:,.0f} ページ/秒/コア"
        f" ({args.members / f_cpu:,.0f} 人/秒/コア), 経過 {f_wall:.2f} s,"
        f" {f_size / f_pages / 1024:.1f} KB/ページ",
        flush=True,
    )
    p_wall, p_cpu, p_size, p_pages = plain(records[: args.plain])
    print(
        f"  素朴な方法 (WeasyPrint write_pdf 1人ずつ, 先頭 {args.plain} 人): {p_pages:,} ページ"
        f" CPU {p_cpu:.2f} s = {p_pages / p_cpu:,.1f} ページ/秒/コア, 経過 {p_wall:.2f} s,"
        f" {p_size / p_pages / 1024:.1f} KB/ページ",
        flush=True,
    )
    me, children = _rss_mb()
    print(
        f"  比: {(f_pages / f_cpu) / (p_pages / p_cpu):,.0f} 倍 | ピークRSS 本体 {me:,.0f} MB"
        f"（描画子プロセス {children:,.0f} MB） | 計算速度の目安 {_calibration_ms():.1f} ms（後）",
        flush=True,
    )


def memory(args: argparse.Namespace, per_file: int) -> None:
    """``--memory-pages`` pages in a row; alone (``--members 0``) the peak RSS is this run's."""
    from notices.documents.notice import PAGES_PER_ITEM

    count = args.memory_pages // PAGES_PER_ITEM
    wall, cpu, _size, pages = fast(iter_members(count, seed=7), per_file, count)
    me, children = _rss_mb()
    print(
        f"  連続 {pages:,} ページ: CPU {cpu:.1f} s = {pages / cpu:,.0f} ページ/秒/コア,"
        f" 経過 {wall:.1f} s | ピークRSS 本体 {me:,.0f} MB"
        f"（描画子プロセス {children:,.0f} MB） | load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
