"""Synthetic applications in bulk, for existing eligibility records (demo data, benchmarks).

:func:`generate` files ``count`` applications over the last :data:`DAYS` days (service hours
of business days only), for every form of the catalogue, with a realistic status mix (old
applications are mostly finished) and their status history. Set-based: per chunk one
bulk INSERT per table. Receipt numbers follow filing (``YYYYMMDD`` + 8-digit serial, JST day)
and continue after the :class:`ReceiptCounter` rows, which are locked and brought up to date
in each chunk's transaction (safe alongside filing, consistent if a run stops half-way).

Members without an account get one (``demo-member-<person id>``, no usable password), since an
application needs an applicant. A share of the forms is filed by the demo 社会保険労務士.
Form data is valid for the form: a small pool of variants per form and month is generated and
checked with :func:`validate_form_data`, then reused, with the member's own postal code,
prefecture and name where the form asks for an address or an addressee. Open applications
are recent (:data:`OPEN_WITHIN_DAYS`), reviews happen in working hours, a 返戻 asks for
something the form carries (:func:`return_reasons`), and a share of the applications with
attachments carry a sample image (two small PNG files shared by all), so reviewers see
previews.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import models, transaction
from django.db.models import CharField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from applications.bank import validate_bank_account
from applications.forms_catalogue import (
    FieldSpec,
    FormDataError,
    FormDefinition,
    all_forms,
    get_form,
    validate_form_data,
)
from applications.models import (
    Application,
    ApplicationAttachment,
    ApplicationStatus,
    ReceiptCounter,
    StatusChange,
)
from core.jp.calendar import JST, is_business_day
from core.jp.errors import JapaneseValueError
from core.jp.kana import to_zengin_kana
from core.models import User
from core.prefectures import random_postal_code
from demo import names
from eligibility.models import EligibilityRecord, Person

S = ApplicationStatus
Kind = EligibilityRecord.Kind

#: Applications are spread over this many days before today.
DAYS = 730
#: Records loaded to file for (enough variety without holding 40M rows in memory).
MAX_RECORDS = 400_000
#: Share of forms filed by the 社会保険労務士 (where attorneys may file).
ATTORNEY_SHARE = 0.05
#: Variants of valid data per form and month.
VARIANTS = 3
RECEIPT_SERIAL_DIGITS = 8
#: Relative frequency of the forms (the rest weigh 1).
FORM_WEIGHTS: dict[str, int] = {
    "gendogaku": 30,
    "kogaku_ryoyohi": 25,
    "shobyo_teate": 20,
    "ryoyohi_tatekae": 12,
    "shussan_ikuji_ichijikin": 10,
    "shikaku_kakuninsho": 10,
    "shussan_teate": 8,
    "tokutei_kenshin": 8,
    "ryoyohi_sogu": 6,
    "nini_keizoku_shutoku": 5,
    "oshirase_kofu": 5,
}
COMMENTS: dict[str, tuple[str, ...]] = {
    S.RECEIVED: ("",),
    S.REVIEWING: ("", "", "審査を開始しました。", "内容を確認しています。"),
    S.COMPLETED: (
        "審査が完了しました。支給決定通知書を送付します。",
        "審査が完了しました。",
        "審査が完了しました。証を送付します。",
    ),
}


def return_reasons(form: FormDefinition) -> tuple[str, ...]:
    """What a demo 返戻 may ask for on ``form``: only what the form carries (one of its
    attachments, its payee account, one of its fields)."""
    reasons = [
        f"添付書類「{a.label}」が確認できません。添付のうえ再申請してください。"
        for a in form.attachments
        if a.required and a.required_when is None
    ]
    if any("事業主" in f.label for f in form.fields):
        reasons.append("事業主の証明欄が未記入です。証明を受けて再申請してください。")
    if any(f.label.startswith("医師") for f in form.fields):
        reasons.append("医師の意見欄の記載が確認できません。記入を受けて再申請してください。")
    if form.pays_money:
        reasons.append(
            "振込先口座の名義が申請者と異なります。申請者名義の口座で再申請してください。"
        )
    if not reasons:
        label = next((f.label for f in form.fields if f.required), form.fields[0].label)
        reasons.append(f"「{label}」の記載内容が確認できません。正しい内容で再申請してください。")
    return tuple(reasons)


_BANKS = ("0001", "0005", "0009", "0010", "0017", "9900")


#: Applications filed longer ago than this are all finished (or drafts): the open work of
#: a demo branch is recent, as in a working office.
OPEN_WITHIN_DAYS = 21
#: Share of the applications filed within OPEN_WITHIN_DAYS (the rest over DAYS).
RECENT_SHARE = 0.2
#: Reviewers work on business days between these hours (JST).
REVIEW_DAY_START = time(9)
REVIEW_DAY_END = time(18)
#: Share of the filed applications of forms with attachments that carry a sample image.
ATTACHMENT_SHARE = 0.3
#: Where the two shared sample images are stored (private storage).
SAMPLE_DIR = "applications/demo"
_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def _status_weights(age_days: int) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Recent applications are still open; older ones are finished."""
    statuses = (S.DRAFT, S.RECEIVED, S.REVIEWING, S.COMPLETED, S.RETURNED)
    if age_days < 7:
        return statuses, (4, 55, 30, 8, 3)
    if age_days < OPEN_WITHIN_DAYS:
        return statuses, (3, 10, 30, 45, 12)
    return statuses, (2, 0, 0, 88, 10)


@contextlib.contextmanager
def _explicit_timestamps(*fields: models.DateTimeField) -> Iterator[None]:
    """Let bulk_create keep the timestamps we set (auto_now/auto_now_add switched off)."""
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    try:
        for f, _now, _add in saved:
            f.auto_now = f.auto_now_add = False
        yield
    finally:
        for f, now, add in saved:
            f.auto_now, f.auto_now_add = now, add


# --- form data -----------------------------------------------------------------------------------


def _text(spec: FieldSpec, rng: random.Random) -> str:
    label = spec.label
    special = {
        "country": ("アメリカ合衆国", "大韓民国", "フランス", "タイ"),
        "currency": ("USD", "KRW", "EUR", "THB"),
        "transport": ("救急車", "民間の患者等搬送車", "航空機"),
        "from_place": ("自宅", "勤務先", "入院していた病院"),
    }
    if spec.name in special:
        value = rng.choice(special[spec.name])
    elif (
        "氏名" in label or "宛名" in label or (spec.name.endswith("_name") and "名称" not in label)
    ):
        surname, _k = rng.choice(names.SURNAMES)
        given, _g = rng.choice(names.MALE_NAMES + names.FEMALE_NAMES)
        value = f"{surname}　{given}"
    elif "住所" in label or "所在地" in label:
        value = f"東京都{rng.choice(names.CITIES)}{rng.choice(names.TOWNS)}1-2-3"
    elif "病院" in label or "医療機関" in label or "名称" in label:
        value = rng.choice(("中央病院", "さくらクリニック", "みなと医院", "株式会社サンプル商事"))
    elif spec.type == "multiline":
        value = rng.choice(
            (
                "医師の指示により自宅で療養しており、就労できなかった。",
                "急な発病のため、やむを得ず受診した。",
                "書類のとおり。",
            )
        )
    else:
        value = rng.choice(("会社員", "事務", "記載のとおり", "その他"))
    if spec.max_length:
        value = value[: spec.max_length]
    if spec.min_length and len(value) < spec.min_length:
        value = value + "あ" * (spec.min_length - len(value))
    return value


def _value(spec: FieldSpec, rng: random.Random, today: date) -> Any:
    match spec.type:
        case "text" | "multiline":
            return _text(spec, rng)
        case "kana":
            _surname, kana = rng.choice(names.SURNAMES)
            return kana[: spec.max_length or 50]
        case "digits":
            n = spec.min_length or spec.max_length or 7
            return "0" + "".join(str(rng.randint(0, 9)) for _ in range(n - 1))
        case "integer":
            lo = spec.min_value if spec.min_value is not None else 0
            hi = spec.max_value if spec.max_value is not None else lo + 30
            return rng.randint(lo, min(hi, lo + 30))
        case "money":
            lo = spec.min_value or 0
            hi = spec.max_value or 500_000
            return max(lo, min(hi, rng.randrange(1_000, 300_000, 10)))
        case "date":
            return (today - timedelta(days=rng.randint(3, 60))).isoformat()
        case "month":
            first = today.replace(day=1) - timedelta(days=1 + 31 * rng.randint(0, 3))
            return first.strftime("%Y-%m")
        case "choice":
            return rng.choice(spec.choices)[0]
        case "boolean":
            return rng.random() < 0.2
    raise AssertionError(spec.type)


def _candidate(form: FormDefinition, rng: random.Random, today: date) -> dict[str, Any]:
    data: dict[str, Any] = {
        s.name: _value(s, rng, today)
        for s in form.fields
        if s.required or (s.type == "boolean" and rng.random() < 0.5)
    }
    for _ in range(3):
        for rule in form.required_when:
            if rule.condition.holds(data) and rule.field not in data:
                data[rule.field] = _value(form.field(rule.field), rng, today)
            elif not rule.condition.holds(data):
                data.pop(rule.field, None)
    for order in form.date_orders:
        start, end = data.get(order.start), data.get(order.end)
        if start and end and start > end:
            data[order.start], data[order.end] = end, start
    return data


def sample_form_data(form: FormDefinition, rng: random.Random, today: date) -> dict[str, Any]:
    """Valid, cleaned data for ``form`` as filed on ``today`` (random tries; the last error is
    raised if none validates)."""
    error: FormDataError | None = None
    for _ in range(200):
        try:
            return validate_form_data(form, _candidate(form, rng, today), today=today)
        except FormDataError as exc:
            error = exc
    assert error is not None
    raise error


# --- the generator -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Record:
    id: int
    kind: str
    branch_id: int
    symbol: str
    number: str
    branch_number: str
    name: str
    name_kana: str
    sex: str
    birth_date: date
    person_id: int
    insurer_name: str


class _Generator:
    def __init__(self, *, seed: int, today: date) -> None:
        self.rng = random.Random(f"applications-{seed}-{Application.objects.count()}")
        self.today = today
        self.forms = list(all_forms())
        self.form_weights = [FORM_WEIGHTS.get(f.code, 1) for f in self.forms]
        self.pools = self._records()
        self.users: dict[int, int] = {}
        self.attorney_id = (
            User.objects.filter(kind=User.Kind.ATTORNEY, is_active=True)
            .order_by("id")
            .values_list("id", flat=True)
            .first()
        )
        self.reviewers = self._reviewers()
        self._data: dict[tuple[str, int, str], list[dict[str, Any]]] = {}
        self._branches = self._bank_branches()
        self._holder: dict[str, str] = {}
        self._accounts = self._bank_pool()
        self.samples: list[_Sample] | None = None

    def _records(self) -> dict[str, list[_Record]]:
        from core.models import Branch

        branches = list(Branch.objects.all())
        insurer = {b.pk: b.insurer_name for b in branches}
        self._prefectures = {b.pk: (b.code, b.prefecture) for b in branches}
        pools: dict[str, list[_Record]] = defaultdict(list)
        rows = (
            EligibilityRecord.objects.filter(lost_on__isnull=True)
            .order_by("id")
            .values_list(
                "id",
                "kind",
                "branch_id",
                "symbol",
                "number",
                "branch_number",
                "name",
                "name_kana",
                "sex",
                "birth_date",
                "person_id",
            )[:MAX_RECORDS]
        )
        for row in rows.iterator(chunk_size=10_000):
            pools[row[1]].append(_Record(*row, insurer_name=insurer[row[2]]))
        if not any(pools.values()):
            raise ValueError("資格情報がありません。先に demo_data で加入者を作成してください。")
        return pools

    def _reviewers(self) -> dict[int, list[int]]:
        perm = Q(groups__permissions__codename="change_application") | Q(
            user_permissions__codename="change_application"
        )
        out: dict[int, list[int]] = defaultdict(list)
        for uid, branch_id in (
            User.objects.filter(perm, is_staff=True, is_active=True, branch__isnull=False)
            .values_list("id", "branch_id")
            .distinct()
            .order_by("id")
        ):
            out[branch_id].append(uid)
        return out

    def _bank_branches(self) -> list[tuple[str, str]]:
        from applications.bank import _banks

        banks = _banks()
        pairs = []
        for code in _BANKS:
            bank = banks.get(code)
            if bank is not None:
                pairs += [(code, b) for b in sorted(bank.branches)[:40]]
        return pairs

    # --- picks -------------------------------------------------------------------------
    def record_for(self, form: FormDefinition) -> _Record:
        if form.code.startswith("nini_keizoku"):
            kinds = [Kind.VOLUNTARY]
        elif form.dependents_may_file:
            kinds = [Kind.INSURED, Kind.INSURED, Kind.DEPENDENT, Kind.VOLUNTARY]
        else:
            kinds = [Kind.INSURED, Kind.INSURED, Kind.VOLUNTARY]
        pool = self.pools.get(self.rng.choice(kinds)) or self.pools.get(Kind.INSURED)
        pool = pool or next(p for p in self.pools.values() if p)
        return self.rng.choice(pool)

    def data_for(self, form: FormDefinition, day: date, record: _Record) -> dict[str, Any]:
        month = day.replace(day=1).isoformat()
        key = (form.code, form.version, month)
        pool = self._data.get(key)
        if pool is None:
            pool = [sample_form_data(form, self.rng, day) for _ in range(VARIANTS)]
            self._data[key] = pool
        return self._as_member(self.rng.choice(pool), record)

    def _as_member(self, data: dict[str, Any], record: _Record) -> dict[str, Any]:
        """The pooled data made the member's: addresses in the member's prefecture with a
        postal code of it, letters addressed to the member."""
        prefecture_code, prefecture = self._prefectures[record.branch_id]
        out = dict(data)
        for key, value in data.items():
            if not isinstance(value, str):
                continue
            if key.endswith("postal_code"):
                out[key] = random_postal_code(prefecture_code, self.rng)
            elif key.endswith("address") and value.startswith("東京都"):
                out[key] = prefecture + value.removeprefix("東京都")
            elif key.endswith("addressee"):
                out[key] = record.name
        return out

    def _bank_pool(self) -> list[dict[str, Any]]:
        """Checked payee accounts (全銀 list) to pick from; the holder is set per applicant."""
        pool: list[dict[str, Any]] = []
        for _ in range(400):
            code, branch = self.rng.choice(self._branches)
            raw = {"bank_code": code, "account_type": "1", "holder_name": "ｷﾖｳｶｲ ﾀﾛｳ"}
            if code == "9900":
                raw |= {
                    "yucho_symbol": f"1{self.rng.randint(0, 9999):04d}",
                    "yucho_number": f"{self.rng.randint(1, 9999999):07d}1",
                }
            else:
                raw |= {
                    "branch_code": branch,
                    "account_number": f"{self.rng.randint(1, 9999999):07d}",
                }
            try:
                account = validate_bank_account(raw)
            except FormDataError:
                continue
            pool.append(
                {**dataclasses.asdict(account), "account_type_label": account.account_type_label}
            )
        return pool

    def bank_for(self, record: _Record) -> dict[str, Any] | None:
        if not self._accounts:
            return None
        holder = self._holder.get(record.name_kana)
        if holder is None:
            try:
                holder = to_zengin_kana(record.name_kana)
            except JapaneseValueError:
                holder = "ｷﾖｳｶｲ ﾀﾛｳ"
            self._holder[record.name_kana] = holder[:30]
            holder = holder[:30]
        return {**self.rng.choice(self._accounts), "holder_kana": holder}

    def timestamps(self, count: int) -> list[datetime]:
        days = [
            self.today - timedelta(days=n)
            for n in range(1, DAYS + 1)
            if is_business_day(self.today - timedelta(days=n))
        ]
        recent = [d for d in days if (self.today - d).days < OPEN_WITHIN_DAYS]
        out = []
        for _ in range(count):
            # A working office: a good share of the applications is recent, so a branch's
            # queue has work in it, the rest spread over two years.
            pool = recent if recent and self.rng.random() < RECENT_SHARE else days
            day = self.rng.choice(pool)
            seconds = self.rng.randrange(13 * 3600)
            local = datetime.combine(day, time(8), tzinfo=JST) + timedelta(seconds=seconds)
            out.append(local)
        out.sort()
        return out

    # --- accounts ----------------------------------------------------------------------
    def ensure_users(self, person_ids: set[int]) -> None:
        """Member accounts for the persons that have none (bulk; unusable passwords)."""
        missing = [p for p in person_ids if p not in self.users]
        if not missing:
            return
        for pid, uid in Person.objects.filter(pk__in=missing).values_list("pk", "user_id"):
            if uid is not None:
                self.users[pid] = uid
        missing = sorted(p for p in missing if p not in self.users)
        if not missing:
            return
        User.objects.bulk_create(
            [
                User(
                    username=f"demo-member-{pid}",
                    kind=User.Kind.MEMBER,
                    password=f"!demo{pid}",
                    is_active=True,
                )
                for pid in missing
            ],
            ignore_conflicts=True,
        )
        username = Concat(Value("demo-member-"), Cast(OuterRef("pk"), CharField()))
        Person.objects.filter(pk__in=missing, user__isnull=True).update(
            user_id=Subquery(User.objects.filter(username=username).values("pk")[:1])
        )
        for pid, uid in Person.objects.filter(pk__in=missing).values_list("pk", "user_id"):
            self.users[pid] = uid


@dataclasses.dataclass(frozen=True, slots=True)
class _Sample:
    name: str
    size: int
    sha256: str
    width: int
    height: int


def _sample_image(title: str, lines: tuple[str, ...]) -> bytes:
    """A small PNG that reads as a scanned document (見本), with a Japanese font if found."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (600, 800), (250, 250, 245))
    draw = ImageDraw.Draw(image)
    try:
        big, small = ImageFont.truetype(_FONT, 36), ImageFont.truetype(_FONT, 22)
    except OSError:
        big = small = ImageFont.load_default()
    draw.rectangle((20, 20, 580, 780), outline=(60, 60, 60), width=3)
    draw.text((60, 60), title, fill=(20, 20, 20), font=big)
    for i, line in enumerate(lines):
        draw.text((60, 160 + i * 50), line, fill=(40, 40, 40), font=small)
    draw.text((420, 700), "見本", fill=(200, 40, 40), font=big)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _samples() -> list[_Sample]:
    """The two shared sample images, written to private storage once."""
    import hashlib

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    specs = (
        ("receipt.png", "領収書", ("診療費 12,340円", "令和8年 診療分", "さくらクリニック")),
        ("certificate.png", "証明書", ("上記のとおり証明します。", "事業主 株式会社サンプル商事")),
    )
    out = []
    for filename, title, lines in specs:
        content = _sample_image(title, lines)
        name = f"{SAMPLE_DIR}/{filename}"
        if not default_storage.exists(name):
            name = default_storage.save(name, ContentFile(content))
        out.append(_Sample(name, len(content), hashlib.sha256(content).hexdigest(), 600, 800))
    return out


def _attachments(gen: _Generator, apps: list[Application]) -> list[ApplicationAttachment]:
    """One sample image on a share of the filed applications whose form has attachments."""
    rows = []
    for app in apps:
        if app.status == S.DRAFT:
            continue
        form = get_form(app.form_code, app.form_version)
        if not form.attachments or gen.rng.random() >= ATTACHMENT_SHARE:
            continue
        if gen.samples is None:
            gen.samples = _samples()
        spec = form.attachments[0]
        sample = gen.rng.choice(gen.samples)
        rows.append(
            ApplicationAttachment(
                application_id=app.pk,
                kind=spec.code,
                file=sample.name,
                original_filename=f"{spec.label[:40]}.png",
                content_type="image/png",
                size=sample.size,
                sha256=sample.sha256,
                width=sample.width,
                height=sample.height,
            )
        )
    return rows


def _into_working_hours(moment: datetime, rng: random.Random) -> datetime:
    """``moment`` if reviewers work then, else early in the next working day (JST)."""
    local = moment.astimezone(JST)
    day = local.date()
    if is_business_day(day):
        start = datetime.combine(day, REVIEW_DAY_START, tzinfo=JST)
        if start <= local < datetime.combine(day, REVIEW_DAY_END, tzinfo=JST):
            return local
        if local < start:
            return start + timedelta(minutes=rng.randint(0, 90))
    day += timedelta(days=1)
    while not is_business_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, REVIEW_DAY_START, tzinfo=JST) + timedelta(
        minutes=rng.randint(0, 90)
    )


def _last_working_moment(moment: datetime) -> datetime:
    """The latest moment at or before ``moment`` in reviewers' working hours (JST)."""
    local = moment.astimezone(JST)
    day = local.date()
    if is_business_day(day):
        if (
            datetime.combine(day, REVIEW_DAY_START, tzinfo=JST)
            <= local
            < datetime.combine(day, REVIEW_DAY_END, tzinfo=JST)
        ):
            return local
        if local >= datetime.combine(day, REVIEW_DAY_END, tzinfo=JST):
            return datetime.combine(day, REVIEW_DAY_END, tzinfo=JST) - timedelta(minutes=1)
    day -= timedelta(days=1)
    while not is_business_day(day):
        day -= timedelta(days=1)
    return datetime.combine(day, REVIEW_DAY_END, tzinfo=JST) - timedelta(minutes=1)


def _review_times(
    submitted: datetime, steps: int, now: datetime, rng: random.Random
) -> list[datetime]:
    """When a reviewer took the application into review and finished it: in working hours,
    after filing and not after ``now``. Fewer than ``steps`` moments when they do not fit
    (the application then stays at an earlier status)."""
    times: list[datetime] = []
    at = submitted
    for step in range(steps):
        delay = timedelta(hours=rng.randint(2, 96) if step == 0 else rng.randint(4, 24 * 20))
        moment = _into_working_hours(at + delay, rng)
        if moment > now:
            moment = _last_working_moment(now)
            if moment <= at:
                break
        times.append(moment)
        at = moment
    return times


def _history(app: Application, rng: random.Random) -> list[StatusChange]:
    submitted = app.submitted_at
    assert submitted is not None
    rows = [
        StatusChange(
            application_id=app.pk,
            from_status="",
            to_status=S.RECEIVED,
            actor_id=app.applicant_id,
            at=submitted,
        )
    ]
    times: list[datetime] = getattr(app, "_demo_review_times", [])
    if not times:
        return rows
    comment = rng.choice(COMMENTS[S.REVIEWING]) if app.status == S.REVIEWING else ""
    rows.append(
        StatusChange(
            application_id=app.pk,
            from_status=S.RECEIVED,
            to_status=S.REVIEWING,
            comment=comment,
            actor_id=app.assigned_reviewer_id,
            at=times[0],
        )
    )
    if app.status in (S.COMPLETED, S.RETURNED):
        rows.append(
            StatusChange(
                application_id=app.pk,
                from_status=S.REVIEWING,
                to_status=app.status,
                comment=app.status_comment,
                actor_id=app.assigned_reviewer_id,
                at=times[1],
            )
        )
    return rows


def generate(
    *,
    count: int,
    seed: int = 2026,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = 5000,
    today: date | None = None,
) -> int:
    """File ``count`` synthetic applications for existing eligibility records; returns how many
    were created. Deterministic for a seed and a database state."""
    now = timezone.now()
    today = today or now.astimezone(JST).date()
    gen = _Generator(seed=seed, today=today)
    moments = gen.timestamps(count)
    fields = [
        Application._meta.get_field("created_at"),
        Application._meta.get_field("updated_at"),
    ]
    created = 0
    with _explicit_timestamps(*fields):  # type: ignore[arg-type]
        for start in range(0, count, chunk_size):
            chunk = moments[start : start + chunk_size]
            created += _write_chunk(gen, chunk, now)
            if progress:
                progress(len(chunk))
    return created


def _write_chunk(gen: _Generator, moments: list[datetime], now: datetime) -> int:
    """One chunk in one transaction; the receipt counters of its days are locked, continued
    and written back in it, so the counters stay consistent even if a later chunk fails."""
    rng = gen.rng
    plans = []
    for moment in moments:
        form = rng.choices(gen.forms, gen.form_weights)[0]
        plans.append((moment, form, gen.record_for(form)))
    gen.ensure_users({record.person_id for _m, _f, record in plans})
    with transaction.atomic():
        days = sorted({moment.date() for moment in moments})
        ReceiptCounter.objects.bulk_create(
            [ReceiptCounter(day=day) for day in days], ignore_conflicts=True
        )
        counters = dict(
            ReceiptCounter.objects.select_for_update()
            .filter(day__in=days)
            .values_list("day", "last")
        )
        apps = _build(gen, plans, counters, now)
        Application.objects.bulk_create(apps)
        if any(a.pk is None for a in apps):  # pragma: no cover - backends without RETURNING
            raise RuntimeError("bulk_create did not return primary keys")
        history: list[StatusChange] = []
        for app in apps:
            if app.status != S.DRAFT:
                history += _history(app, rng)
        StatusChange.objects.bulk_create(history, batch_size=10_000)
        ApplicationAttachment.objects.bulk_create(_attachments(gen, apps), batch_size=10_000)
        ReceiptCounter.objects.bulk_update(
            [ReceiptCounter(day=day, last=last) for day, last in counters.items()], ["last"]
        )
    return len(apps)


def _build(
    gen: _Generator,
    plans: list[tuple[datetime, FormDefinition, _Record]],
    counters: dict[date, int],
    now: datetime,
) -> list[Application]:
    rng = gen.rng
    apps: list[Application] = []
    for moment, form, record in plans:
        day = moment.date()
        age = (gen.today - day).days
        statuses, weights = _status_weights(age)
        status = rng.choices(statuses, weights)[0]
        steps = {S.REVIEWING: 1, S.COMPLETED: 2, S.RETURNED: 2}.get(status, 0)
        times = _review_times(moment, steps, now, rng)
        if len(times) < steps:  # no working hours left for it yet: still at an earlier step
            status = (S.RECEIVED, S.REVIEWING)[len(times)]
        reviewers = gen.reviewers.get(record.branch_id, [])
        reviewer_id = (
            rng.choice(reviewers) if reviewers and status not in (S.DRAFT, S.RECEIVED) else None
        )
        attorney = (
            gen.attorney_id is not None
            and form.attorneys_may_file
            and rng.random() < ATTORNEY_SHARE
        )
        applicant_id = gen.attorney_id if attorney else gen.users[record.person_id]
        app = Application(
            form_code=form.code,
            form_version=form.version,
            status=status,
            status_comment=rng.choice(
                return_reasons(form) if status == S.RETURNED else COMMENTS.get(status, ("",))
            ),
            applicant_id=applicant_id,
            record_id=record.id,
            branch_id=record.branch_id,
            insurer_name=record.insurer_name,
            symbol=record.symbol,
            number=record.number,
            branch_number=record.branch_number,
            name=record.name,
            name_kana=record.name_kana,
            sex=record.sex if form.shows_sex else "",
            birth_date=record.birth_date,
            data=gen.data_for(form, day, record),
            bank_account=gen.bank_for(record) if form.pays_money else None,
            assigned_reviewer_id=reviewer_id,
            version=1 + {S.REVIEWING: 1, S.COMPLETED: 2, S.RETURNED: 2}.get(status, 0),
            created_at=moment,
            updated_at=moment,
        )
        app._demo_review_times = times  # type: ignore[attr-defined]
        if status != S.DRAFT:
            serial = counters.get(day, 0) + 1
            counters[day] = serial
            app.receipt_number = f"{day:%Y%m%d}{serial:0{RECEIPT_SERIAL_DIGITS}d}"
            app.submitted_at = moment
        apps.append(app)
    return apps


#: What each demo member (member1, member2 …) has filed, and how far review has gone.
DEMO_MEMBER_FILINGS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "gendogaku",
        (
            (S.REVIEWING, "審査を開始しました。"),
            (
                S.RETURNED,
                "送付先の住所の番地が記入されていません。正しい住所で再申請してください。",
            ),
        ),
    ),
    (
        "oshirase_kofu",
        ((S.REVIEWING, "審査を開始しました。"), (S.COMPLETED, "お知らせを再交付しました。")),
    ),
    ("shikaku_kakuninsho", ()),
)


def file_for_demo_members(*, usernames: tuple[str, ...] = ("member1",)) -> int:
    """File a few applications for the demo members through the real services, so the
    member pages and the review queue show a returned, a completed and a received one.
    Idempotent: the Idempotency-Key makes a second run return what is there."""
    from applications.services.filing import application_submit_outcome
    from applications.services.review import application_change_status
    from eligibility.selectors import current_record

    reviewer = User.objects.filter(username="reviewer").first()
    rng = random.Random(2026)
    filed = 0
    for user in User.objects.filter(username__in=usernames, kind=User.Kind.MEMBER):
        person = Person.objects.filter(user=user).first()
        record = current_record(person, on=timezone.localdate()) if person else None
        if record is None:
            continue
        at = _last_service_moment(timezone.localdate())
        for code, steps in DEMO_MEMBER_FILINGS:
            form = get_form(code)
            outcome = application_submit_outcome(
                applicant=user,
                record=record,
                form_code=code,
                data=sample_form_data(form, rng, at.date()),
                bank_account=None,
                attachments=[],
                idempotency_key=f"demo-{code}",
                now=at,
            )
            if not outcome.created:
                continue
            filed += 1
            application = outcome.application
            for to_status, comment in steps if reviewer else ():
                application = application_change_status(
                    application_id=application.pk,
                    to_status=to_status,
                    comment=comment,
                    actor=reviewer,
                    expected_version=application.version,
                )
    return filed


def _last_service_moment(today: date) -> datetime:
    """10:00 JST on the last business day before ``today`` (inside the service hours)."""
    day = today - timedelta(days=1)
    while not is_business_day(day):
        day -= timedelta(days=1)
    return datetime.combine(day, time(10), tzinfo=JST)
