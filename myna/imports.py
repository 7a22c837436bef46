"""Import of the monthly usage figures (利用実績) from CSV: one row per month and branch.

UTF-8 (with or without BOM) or CP932, one header row, columns in any order (the eligibility
import's reader and error report are reused). Re-importing a file changes nothing; a later
file for the same month and branch replaces the figures.

==============================  ====  =====================================================
列名                             必須  内容
==============================  ====  =====================================================
年月                             ○     2025-09、2025/9、2025年9月、令和7年9月、R7.9
区分                             ○     協会（支部加入者の実績） / 国全体（都道府県の実績）
都道府県 (別名 支部, 支部コード)  ○     都道府県名（東京都・東京）、都道府県コード1～47、保険者番号
マイナ保険証利用件数             ○     件数（整数、カンマ可）
オンライン資格確認利用件数       ○     件数（整数、カンマ可）。マイナ保険証利用件数以上
==============================  ====  =====================================================

利用率 = マイナ保険証利用件数 ÷ オンライン資格確認利用件数 (the seed tables' definition).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction

from core.audit import record_event
from core.errors import NotAllowed, ServiceError
from core.jp.era import parse_wareki
from core.jp.errors import JapaneseValueError
from core.jp.kana import normalize_digits
from core.models import AuditEvent
from core.prefectures import PREFECTURES
from eligibility.imports.branches import BranchIndex
from eligibility.imports.columns import Column, HeaderMap
from eligibility.imports.encoding import detect_encoding
from eligibility.imports.errors import FieldError, ImportFileError, RowError
from eligibility.imports.reader import read_rows
from eligibility.imports.report import ErrorReport
from myna.models import UsageFigure, UsageScope

USAGE_COLUMNS: tuple[Column, ...] = (
    Column("month", "年月", True, ("対象年月", "診療年月")),
    Column("scope", "区分", True),
    Column("prefecture", "都道府県", True, ("都道府県名", "支部", "支部コード", "保険者番号")),
    Column("uses", "マイナ保険証利用件数", True),
    Column("checks", "オンライン資格確認利用件数", True),
)

_SCOPES = {
    "協会": UsageScope.ASSOCIATION,
    "協会けんぽ": UsageScope.ASSOCIATION,
    "支部": UsageScope.ASSOCIATION,
    "association": UsageScope.ASSOCIATION,
    "国全体": UsageScope.NATIONAL,
    "全国": UsageScope.NATIONAL,
    "都道府県": UsageScope.NATIONAL,
    "national": UsageScope.NATIONAL,
}
_WESTERN_MONTH = re.compile(r"(\d{4})\s*[-/年.]\s*(\d{1,2})\s*月?(?:[-/](\d{1,2})日?)?")
_BY_NAME = {name: code for code, name in PREFECTURES} | {
    (name[:-1] if name != "北海道" else name): code for code, name in PREFECTURES
}

ALL_OR_NOTHING = "all_or_nothing"
GOOD_ROWS = "good_rows"


@dataclass(slots=True)
class UsageImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    error_rows: int = 0
    written: bool = False
    report: Path | None = None
    messages: list[str] = field(default_factory=list)


def parse_month(value: str) -> date:
    """The first day of the month written in `value` (Western or 和暦)."""
    text = normalize_digits(value.strip())
    if not text:
        raise FieldError("入力されていません")
    match = _WESTERN_MONTH.fullmatch(text)
    if match:
        year, month = int(match[1]), int(match[2])
        if 1 <= month <= 12 and 2000 <= year <= 2100:
            return date(year, month, 1)
        raise FieldError("存在しない年月です")
    candidates = [text + "1日"] if text.endswith("月") else [text + ".1", text]
    for candidate in candidates:
        try:
            return parse_wareki(candidate).replace(day=1)
        except JapaneseValueError as exc:
            if exc.code != "format":
                raise FieldError(exc.message) from None
    raise FieldError("年月は「2025-09」「2025年9月」または「令和7年9月」の形式で入力してください")


def parse_scope(value: str) -> str:
    scope = _SCOPES.get(value.strip().replace("\u3000", "").replace(" ", ""))
    if scope is None:
        raise FieldError("区分は「協会」または「国全体」と入力してください")
    return scope


def parse_count(value: str, *, label: str) -> int:
    text = normalize_digits(value.strip()).replace(",", "").replace("，", "")
    if not text:
        raise FieldError("入力されていません")
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        raise FieldError(f"{label}は0以上の整数で入力してください")
    return int(text)


def _prefecture(value: str, branches: BranchIndex) -> int:
    """The branch id of a prefecture name, code or insurer number."""
    text = value.strip().replace("\u3000", "").replace(" ", "")
    code = _BY_NAME.get(text)
    if code is not None:
        return branches.by_code[str(code)]
    try:
        return branches.resolve(text)
    except FieldError:
        raise FieldError(
            "都道府県は「東京都」「東京」、都道府県コード（1～47）または保険者番号で入力してください"
        ) from None


def import_usage(*, path: str | Path, actor: Any, mode: str = ALL_OR_NOTHING) -> UsageImportResult:
    """Load a usage CSV. `actor` None is the system (a command); else headquarters staff.

    ``all_or_nothing`` writes nothing if any row is wrong; ``good_rows`` writes the good
    rows. The error report (CSV, Japanese, row and column of each error) is in
    ``result.report`` when there were errors; the caller deletes it when done.
    """
    if actor is not None and not getattr(actor, "is_headquarters", False):
        raise NotAllowed("利用実績の取込は本部の職員だけが行えます。")
    if mode not in (ALL_OR_NOTHING, GOOD_ROWS):
        raise ServiceError("取込方法の指定が正しくありません。", code="mode")
    result = UsageImportResult()
    report = ErrorReport()
    branches = BranchIndex.load()
    parsed: dict[tuple[date, str, int], tuple[int, int, int]] = {}  # key → uses, checks, line
    try:
        encoding = detect_encoding(path).encoding
        rows = read_rows(path, encoding, USAGE_COLUMNS)
        header = next(rows)
        assert isinstance(header, HeaderMap)
        for raw in rows:
            assert not isinstance(raw, HeaderMap)
            result.rows += 1
            errors = list(raw.errors)
            values: dict[str, Any] = {}
            for column, cell in zip(USAGE_COLUMNS, raw.cells, strict=True):
                try:
                    if column.key == "month":
                        values["month"] = parse_month(cell)
                    elif column.key == "scope":
                        values["scope"] = parse_scope(cell)
                    elif column.key == "prefecture":
                        values["branch"] = _prefecture(cell, branches)
                    else:
                        values[column.key] = parse_count(cell, label=column.header)
                except FieldError as exc:
                    errors.append(RowError(raw.line, column.header, cell, exc.message))
            if not errors and values["uses"] > values["checks"]:
                errors.append(
                    RowError(
                        raw.line,
                        "マイナ保険証利用件数",
                        str(values["uses"]),
                        "マイナ保険証利用件数がオンライン資格確認利用件数を超えています",
                    )
                )
            if not errors:
                key = (values["month"], values["scope"], values["branch"])
                if key in parsed:
                    errors.append(
                        RowError(
                            raw.line,
                            "年月",
                            f"{values['month']:%Y-%m}",
                            f"同じ年月・区分・都道府県の行が{parsed[key][2]}行目にもあります",
                        )
                    )
                else:
                    parsed[key] = (values["uses"], values["checks"], raw.line)
            if errors:
                report.extend(errors)
    except ImportFileError as exc:
        report.add(exc.as_row_error())
        parsed = {}
    result.error_rows = report.error_rows
    result.messages = list(report.first_messages)
    report.close()
    if report.error_count:
        result.report = report.path
    else:
        report.discard()
    if report.error_count and (mode == ALL_OR_NOTHING or not parsed):
        return result
    with transaction.atomic():
        months = {key[0] for key in parsed}
        existing = {
            (f.month, f.scope, f.branch_id): f
            for f in UsageFigure.objects.select_for_update().filter(month__in=months)
        }
        new = []
        for key, (uses, checks, _) in parsed.items():
            figure = existing.get(key)
            if figure is None:
                new.append(
                    UsageFigure(
                        month=key[0],
                        scope=key[1],
                        branch_id=key[2],
                        myna_uses=uses,
                        online_checks=checks,
                    )
                )
            elif (figure.myna_uses, figure.online_checks) == (uses, checks):
                result.unchanged += 1
            else:
                figure.myna_uses, figure.online_checks = uses, checks
                figure.save(update_fields=["myna_uses", "online_checks", "updated_at"])
                result.updated += 1
        UsageFigure.objects.bulk_create(new)
        result.created = len(new)
        result.written = True
        if actor is not None and (result.created or result.updated):
            record_event(
                actor=actor,
                action=AuditEvent.Action.IMPORT,
                object_type="myna.usagefigure",
                changes={"created": result.created, "updated": result.updated},
            )
    return result
