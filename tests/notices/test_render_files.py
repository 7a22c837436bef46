"""The production path: any number of items written as files of at most ITEMS_PER_FILE, each
compiled in a forked child. Run in a fresh interpreter: a process that has compiled in-process
(as the other tests do) no longer forks (Typst's threads), so it would test the wrong path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pypdf import PdfReader

SCRIPT = """
import json, sys
from pathlib import Path
from notices.rendering import engine, renderer, qr_code
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
paths = list(render.render_files(items, Path(sys.argv[1]), common=common, per_file=2))
print(json.dumps({"paths": [str(p) for p in paths], "forked": not engine._compiled_in_process}))
"""


def test_files_of_at_most_n_items_compiled_in_forked_children(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["forked"]  # the parent never compiled: every file came from a child
    pages = [len(PdfReader(path).pages) for path in result["paths"]]
    assert pages == [4, 4, 2]  # 2 + 2 + 1 members, two pages each
    text = "".join(page.extract_text() for page in PdfReader(result["paths"][2]).pages)
    assert "𠮷男4" in text.replace(" ", "").replace("\u3000", "")
