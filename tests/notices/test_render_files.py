"""The production path: any number of items written as files of at most ITEMS_PER_FILE,
compiled in forked children, several files per child while its memory allows. Run in a fresh
interpreter: a process that has compiled in-process (as the other tests do) no longer forks
(Typst's threads), so it would test the wrong path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pypdf import PdfReader

SCRIPT = """
import json, sys
from pathlib import Path
from notices.rendering import engine, forking, renderer, qr_code
items = [{
    "postal": "〒100-0001", "address": "東京都千代田区千代田1-1", "recipient": f"髙橋　𠮷男{n}",
    "symbol": "13000001", "number": str(n), "inquiry": f"13-{n:09d}-1", "qr": qr_code(f"K-{n}"),
    "insurer_name": "全国健康保険協会 東京支部", "insurer_number": "01130012",
    "contact": "TEL 03-1234-5678", "symbol_number": f"13000001・{n}・00", "name": f"髙橋　𠮷男{n}",
    "kana": "タカハシ　ヨシオ", "birth": "昭和40年10月1日", "ratio": "3割",
    "acquired": "昭和60年10月1日", "my_number": "**** **** 1234",
} for n in range(5)]
common = {"as_of_text": "令和6年6月7日", "portal_qr": qr_code("https://myna.go.jp/")}
render = renderer("notice.typ")
engine.CHILD_RSS_LIMIT_MB = float(sys.argv[2])
engine.ITEMS_PER_CHILD = int(sys.argv[3])
render._with_static(common), render.fitted(items[:1], common)  # once per process, in children
children = []
in_child = engine._in_child
engine._in_child = lambda work: children.append(1) or in_child(work)
paths = list(render.render_files(items, Path(sys.argv[1]), common=common, per_file=2))
print(json.dumps({
    "paths": [str(p) for p in paths], "forked": not forking.compiled_here(),
    "children": len(children),
}))
"""


def _render_in_fresh_interpreter(
    directory: Path, rss_limit_mb: float, items_per_child: int = 200
) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(directory), str(rss_limit_mb), str(items_per_child)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_files_of_at_most_n_items_compiled_in_forked_children(tmp_path):
    result = _render_in_fresh_interpreter(tmp_path, rss_limit_mb=10_000)
    assert result["forked"]  # the parent never compiled: every file came from a child
    assert result["children"] == 1  # three files, one child: the fonts loaded once
    pages = [len(PdfReader(path).pages) for path in result["paths"]]
    assert pages == [4, 4, 2]  # 2 + 2 + 1 members, two pages each
    text = "".join(page.extract_text() for page in PdfReader(result["paths"][2]).pages)
    assert "𠮷男4" in text.replace(" ", "").replace("\u3000", "")


def test_a_child_over_its_memory_limit_hands_the_next_file_to_a_new_child(tmp_path):
    """With a limit every process is over, each child writes one file and exits: nothing
    is lost or written twice, and the files keep their order."""
    result = _render_in_fresh_interpreter(tmp_path, rss_limit_mb=1)
    assert result["forked"]
    assert result["children"] == 3
    assert [Path(p).name for p in result["paths"]] == [
        "part-00001.pdf",
        "part-00002.pdf",
        "part-00003.pdf",
    ]
    assert [len(PdfReader(path).pages) for path in result["paths"]] == [4, 4, 2]
    numbers = [
        "".join(page.extract_text() for page in PdfReader(path).pages) for path in result["paths"]
    ]
    assert ["13-000000004-1" in text for text in numbers] == [False, False, True]


def test_a_child_takes_no_more_items_than_items_per_child(tmp_path):
    """Files of 2, 2 and 1 members with at most 3 members a child: the first file alone,
    then the second and third together (3): the memory a child grows by follows its items."""
    result = _render_in_fresh_interpreter(tmp_path, rss_limit_mb=10_000, items_per_child=3)
    assert result["forked"]
    assert result["children"] == 2
    assert [len(PdfReader(path).pages) for path in result["paths"]] == [4, 4, 2]
