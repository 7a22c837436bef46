"""The 47 prefectures (JIS X 0401 codes), one association branch (支部) each, and the
postal-code ranges of each."""

from __future__ import annotations

from typing import Any

PREFECTURES: tuple[tuple[int, str], ...] = (
    (1, "北海道"), (2, "青森県"), (3, "岩手県"), (4, "宮城県"), (5, "秋田県"), (6, "山形県"),
    (7, "福島県"), (8, "茨城県"), (9, "栃木県"), (10, "群馬県"), (11, "埼玉県"), (12, "千葉県"),
    (13, "東京都"), (14, "神奈川県"), (15, "新潟県"), (16, "富山県"), (17, "石川県"),
    (18, "福井県"), (19, "山梨県"), (20, "長野県"), (21, "岐阜県"), (22, "静岡県"),
    (23, "愛知県"), (24, "三重県"), (25, "滋賀県"), (26, "京都府"), (27, "大阪府"),
    (28, "兵庫県"), (29, "奈良県"), (30, "和歌山県"), (31, "鳥取県"), (32, "島根県"),
    (33, "岡山県"), (34, "広島県"), (35, "山口県"), (36, "徳島県"), (37, "香川県"),
    (38, "愛媛県"), (39, "高知県"), (40, "福岡県"), (41, "佐賀県"), (42, "長崎県"),
    (43, "熊本県"), (44, "大分県"), (45, "宮崎県"), (46, "鹿児島県"), (47, "沖縄県"),
)  # fmt: skip


def branch_name(prefecture: str) -> str:
    """東京都 → 東京支部, 北海道 → 北海道支部, 大阪府 → 大阪支部."""
    if prefecture == "北海道":
        return "北海道支部"
    return prefecture[:-1] + "支部"


#: First three digits of the postal codes of each prefecture (JIS code → inclusive ranges),
#: from Japan Post's allocation. Enough to make a postal code that belongs to the prefecture
#: (demo data, test fixtures); not a validator of real codes.
POSTAL_PREFIXES: dict[int, tuple[tuple[int, int], ...]] = {
    1: ((40, 99),), 2: ((30, 39),), 3: ((20, 29),), 4: ((980, 989),), 5: ((10, 19),),
    6: ((990, 999),), 7: ((960, 979),), 8: ((300, 319),), 9: ((320, 329),),
    10: ((370, 379),), 11: ((330, 369),), 12: ((260, 299),), 13: ((100, 208),),
    14: ((210, 259),), 15: ((940, 959),), 16: ((930, 939),), 17: ((920, 929),),
    18: ((910, 919),), 19: ((400, 409),), 20: ((380, 399),), 21: ((500, 509),),
    22: ((410, 439),), 23: ((440, 497),), 24: ((510, 519),), 25: ((520, 529),),
    26: ((600, 629),), 27: ((530, 599),), 28: ((650, 679),), 29: ((630, 639),),
    30: ((640, 649),), 31: ((680, 689),), 32: ((690, 699),), 33: ((700, 719),),
    34: ((720, 739),), 35: ((740, 759),), 36: ((770, 779),), 37: ((760, 769),),
    38: ((790, 799),), 39: ((780, 789),), 40: ((800, 839),), 41: ((840, 849),),
    42: ((850, 859),), 43: ((860, 869),), 44: ((870, 879),), 45: ((880, 889),),
    46: ((890, 899),), 47: ((900, 909),),
}  # fmt: skip


def postal_prefecture(postal_code: str) -> int | None:
    """The JIS code of the prefecture a 7-digit postal code belongs to (None if unknown)."""
    if len(postal_code) != 7 or not postal_code.isdigit():
        return None
    head = int(postal_code[:3])
    for code, ranges in POSTAL_PREFIXES.items():
        if any(lo <= head <= hi for lo, hi in ranges):
            return code
    return None


def random_postal_code(prefecture_code: int, rng: Any) -> str:
    """A 7-digit postal code of the prefecture (``rng``: a random.Random)."""
    lo, hi = rng.choice(POSTAL_PREFIXES[prefecture_code])
    return f"{rng.randint(lo, hi):03d}{rng.randrange(10_000):04d}"
