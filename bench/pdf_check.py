"""How long the PDF active-content check (core.uploads) takes on ordinary and crafted files.

Builds each PDF in memory with pikepdf, then times ``validate_upload`` on it (best of three)
and prints the outcome. No database is used.

    .venv/bin/python -m bench.pdf_check
"""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Callable


def _build(fn: Callable) -> bytes:
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    fn(pdf)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _chain(count: int) -> Callable:
    def build(pdf) -> None:
        import pikepdf

        previous = pikepdf.Dictionary()
        for _ in range(count):
            previous = pdf.make_indirect(pikepdf.Dictionary(N=previous))
        pdf.Root.Junk = previous

    return build


def _array(items: Callable[[], list]) -> Callable:
    def build(pdf) -> None:
        import pikepdf

        pdf.Root.Junk = pikepdf.Array(items())

    return build


def _weasyprint(pages: int) -> bytes:
    import weasyprint

    chapter = (
        "<h1>第{i}章</h1><p>" + "被保険者の氏名と記号・番号を記入してください。" * 40 + "</p>"
        "<a href='https://www.kyoukaikenpo.or.jp/'>協会けんぽ</a>"
    )
    body = "<div style='page-break-after: always'></div>".join(
        chapter.format(i=i) for i in range(pages)
    )
    html = f"<html lang='ja'><body>{body}</body></html>"
    return weasyprint.HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


def main() -> None:
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    import pikepdf

    from core.uploads import UploadError, validate_upload

    cases: list[tuple[str, Callable[[], bytes]]] = [
        ("WeasyPrint, 20 tagged pages with links", lambda: _weasyprint(20)),
        ("120,000 indirect objects in a chain", lambda: _build(_chain(120_000))),
        (
            "1,200,000 direct dictionaries in one array",
            lambda: _build(_array(lambda: [pikepdf.Dictionary() for _ in range(1_200_000)])),
        ),
        ("1,000,000 integers in one array", lambda: _build(_array(lambda: list(range(10**6))))),
    ]
    for name, make in cases:
        data = make()
        best = float("inf")
        outcome = ""
        for _ in range(3):
            start = time.perf_counter()
            try:
                outcome = f"accepted ({validate_upload(data, filename='x.pdf').pages} pages)"
            except UploadError as error:
                outcome = f"refused: {error.code}"
            best = min(best, time.perf_counter() - start)
        print(f"{name}: {len(data) / 1e6:.1f} MB, {best:.2f} s, {outcome}")


if __name__ == "__main__":
    main()
