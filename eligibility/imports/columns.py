"""The documented columns of the import files.

Files have one header row; columns may come in any order; columns not listed here are
ignored. A header may use the name or one of its aliases.

加入者ファイル (members):

==========================  ====  ==========================================================
列名                         必須  内容
==========================  ====  ==========================================================
保険者番号 (別名 支部コード)  ○     支部の保険者番号8桁（検証番号付き）または都道府県コード1～47
記号                         ○     7～8桁の数字（全角数字可）
番号                         ○     1～8桁の数字
枝番                         ○     2桁（00 = 被保険者、01～ = 被扶養者。1桁は0埋め）
資格区分                     ○     被保険者 / 被扶養者 / 任意継続被保険者（または 1 / 2 / 3）
氏名                         ○     60文字まで。外字はそのまま（UTF-8のファイルで）
フリガナ                     ○     全角カタカナ（半角カナ・ひらがなは全角カタカナに変換）
生年月日                     ○     YYYY-MM-DD、YYYY/MM/DD、または和暦（令和7年4月1日、R7.4.1）
性別                         ○     1 / 2 または 男 / 女
郵便番号                            7桁（100-0001 可）
住所                                200文字まで
資格取得年月日               ○     日付（被扶養者は認定年月日）
資格喪失年月日                      日付（資格取得年月日より後）
標準報酬月額                        円（整数、カンマ可）。被扶養者は空欄
個人番号                            12桁（検査用数字を検証）。保存するのは下4桁とハッシュのみ
マイナ保険証利用登録日              日付。空欄は「変更しない」
資格確認書交付希望                  1 / 0、有 / 無、希望する / 希望しない（空欄 = 希望しない）
==========================  ====  ==========================================================

被扶養者は、同じ記号・番号で枝番00の被保険者（登録済み、またはファイル内のより前の行）に
ひも付きます。個人番号・マイナ保険証利用登録日が空欄の行は、登録済みの値を変更しません。

事業所ファイル (employers):

==========================  ====  ==========================================================
支部 (別名 保険者番号, 支部コード) ○  加入者ファイルと同じ
記号                         ○     7～8桁の数字
事業所名称                   ○     120文字まで
カナ (別名 事業所名称カナ)          全角カタカナ
郵便番号                     ○     7桁
所在地                       ○     200文字まで
電話番号                            数字とハイフン（10～11桁）
==========================  ====  ==========================================================
"""

from __future__ import annotations

from dataclasses import dataclass

from eligibility.imports.errors import ImportFileError


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)


MEMBER_COLUMNS: tuple[Column, ...] = (
    Column("branch", "保険者番号", True, ("支部コード", "支部")),
    Column("symbol", "記号", True),
    Column("number", "番号", True),
    Column("branch_number", "枝番", True),
    Column("kind", "資格区分", True),
    Column("name", "氏名", True),
    Column("name_kana", "フリガナ", True, ("氏名カナ", "カナ")),
    Column("birth_date", "生年月日", True),
    Column("sex", "性別", True),
    Column("postal_code", "郵便番号"),
    Column("address", "住所"),
    Column("acquired_on", "資格取得年月日", True),
    Column("lost_on", "資格喪失年月日"),
    Column("remuneration", "標準報酬月額"),
    Column("my_number", "個人番号"),
    Column("mynacard_registered_on", "マイナ保険証利用登録日"),
    Column("certificate_requested", "資格確認書交付希望"),
)

EMPLOYER_COLUMNS: tuple[Column, ...] = (
    Column("branch", "支部", True, ("保険者番号", "支部コード")),
    Column("symbol", "記号", True),
    Column("name", "事業所名称", True),
    Column("name_kana", "カナ", False, ("事業所名称カナ", "事業所名称（カナ）")),
    Column("postal_code", "郵便番号", True),
    Column("address", "所在地", True),
    Column("phone", "電話番号"),
)

#: The column that carries the My Number: its values are masked in reports.
MY_NUMBER_KEY = "my_number"


@dataclass(frozen=True)
class HeaderMap:
    """Where each known column is in the file: key → index."""

    positions: dict[str, int]
    width: int
    columns: tuple[Column, ...]

    def label(self, key: str) -> str:
        for column in self.columns:
            if column.key == key:
                return column.header
        return key


def _clean_header(text: str) -> str:
    return text.strip().strip("\ufeff").strip().replace("\u3000", "")


def map_header(header: list[str], columns: tuple[Column, ...]) -> HeaderMap:
    """Locate the columns in the header row. Raises :class:`ImportFileError` (line 1)."""
    by_name = {name: column for column in columns for name in column.names}
    positions: dict[str, int] = {}
    for index, raw in enumerate(header):
        column = by_name.get(_clean_header(raw))
        if column is None:
            continue
        if column.key in positions:
            raise ImportFileError(
                f"見出し行に「{column.header}」の列が2回あります", line=1, column=column.header
            )
        positions[column.key] = index
    missing = [c.header for c in columns if c.required and c.key not in positions]
    if missing and not positions:
        # No column name at all: the first line is data (a file without a header row) or
        # the wrong file; its cells are never echoed (they hold personal data).
        raise ImportFileError(
            "1行目が見出し行ではありません。1行目に列名（"
            f"{'、'.join(c.header for c in columns if c.required)}など）を入れてください"
            "（文字コードやファイルの種類が正しいか確認してください）",
            line=1,
            column=missing[0],
        )
    if missing:
        # Only the cells that are column names are named; any other cell is not echoed.
        known = {name for column in columns for name in column.names}
        found = "、".join(h for h in (_clean_header(x) for x in header) if h in known)
        raise ImportFileError(
            f"見出し行に必須の列がありません: {'、'.join(missing)}"
            f"（見出し行の列: {found}。文字コードやファイルの種類が正しいか確認してください）",
            line=1,
            column=missing[0],
        )
    return HeaderMap(positions=positions, width=len(header), columns=columns)
