"""The dashboard pages: figures, scope, downloads and the 資格確認書 preview."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from core.models import AuditEvent
from myna.models import KpiTarget, Metric, UsageFigure, UsageScope
from myna.selectors import Count, rank
from myna.services import refresh_summary
from tests.factories.core import branch
from tests.factories.eligibility import InsuredRecordFactory, PersonFactory

AS_OF = date(2025, 8, 31)
URL = "/admin/myna/dashboard/"


@pytest.fixture
def figures(db):
    tokyo, osaka = branch(13), branch(27)
    for i in range(4):  # Tokyo: 3 of 4 registered
        InsuredRecordFactory(
            person=PersonFactory(mynacard_registered=i < 3, mynacard_registered_on=date(2024, 1, 1))
        )
    InsuredRecordFactory(  # Osaka: 1, not registered
        person=PersonFactory(mynacard_registered=False), branch=osaka, symbol="27000001"
    )
    refresh_summary(as_of=date(2025, 7, 31))
    refresh_summary(as_of=AS_OF)
    for month, uses in ((date(2025, 7, 1), 300), (date(2025, 8, 1), 400)):
        for b in (tokyo, osaka):
            UsageFigure.objects.create(
                month=month, scope=UsageScope.ASSOCIATION, branch=b, myna_uses=uses,
                online_checks=1000,
            )  # fmt: skip
            UsageFigure.objects.create(
                month=month, scope=UsageScope.NATIONAL, branch=b, myna_uses=uses + 50,
                online_checks=1000,
            )  # fmt: skip
    KpiTarget.objects.create(month=date(2025, 8, 1), metric=Metric.USAGE, rate=Decimal("50"))


def test_national_page_shows_every_table_with_its_chart(client, figures, hq_admin):
    client.force_login(hq_admin)
    response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    for key in (
        "registration_trend",
        "registration_by_branch",
        "registration_by_age",
        "registration_by_kind",
        "usage_trend",
        "usage_by_branch",
        "usage_by_prefecture",
    ):
        assert f'id="{key}"' in body
    assert body.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart') == 7
    page = response.context["page"]
    assert (page.headline.part, page.headline.whole) == (3, 5)
    assert page.headline.rate == Decimal("60.00")
    assert page.usage_headline.rate == Decimal("40.00")
    usage = page.table("usage_trend")
    assert usage.rows[-1][3:6] == [Decimal("40.00"), Decimal("10.00"), Decimal("50")]
    ranking = page.table("registration_by_branch")
    assert len(ranking.rows) == 47
    assert ranking.rows[12][:4] == ["東京支部", 3, 4, Decimal("75.00")]
    assert 'class="kpi"' in body  # the KPI line on the usage charts
    assert "style=" not in body.split('id="content-main"')[1]  # no inline style (CSP)


def test_branch_page_compares_with_national(client, figures, reviewer):
    client.force_login(reviewer)
    response = client.get(f"{URL}branch/13/")
    assert response.status_code == 200
    page = response.context["page"]
    trend = page.table("registration_trend")
    assert trend.rows[-1][3] == Decimal("75.00")  # Tokyo
    assert trend.rows[-1][6] == Decimal("60.00")  # national
    assert trend.rows[-1][7] == Decimal("15.00")
    assert (page.rank, page.national_rate) == (1, Decimal("60.00"))
    assert "/admin/myna/dashboard/branch/13/certificate-preview/" in response.content.decode()


def test_branch_staff_see_the_national_page_but_not_another_branch(client, figures, reviewer):
    client.force_login(reviewer)
    assert client.get(URL).status_code == 200
    assert client.get(f"{URL}branch/27/").status_code == 404
    assert client.get(f"{URL}branch/27/download/registration_trend.csv").status_code == 404
    assert client.get(f"{URL}branch/27/certificate-preview/").status_code == 404


def test_headquarters_see_every_branch(client, figures, hq_admin):
    client.force_login(hq_admin)
    assert client.get(f"{URL}branch/27/").status_code == 200


def test_members_and_anonymous_are_refused(client, figures):
    assert client.get(URL).status_code == 302  # to the admin login


def test_csv_and_excel_hold_the_table_of_the_page(client, figures, hq_admin):
    client.force_login(hq_admin)
    response = client.get(f"{URL}download/registration_by_branch.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["支部", "利用登録者数", "加入者数", "率（%）"]
    assert rows[13][:4] == ["東京支部", "3", "4", "75.00"]
    response = client.get(f"{URL}download/usage_by_prefecture.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][0] == "都道府県"
    assert values[2 + 12][:4] == ("東京都", 450, 1000, 45.0)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count() == 2
    assert client.get(f"{URL}download/nothing.csv").status_code == 404
    assert client.get(f"{URL}download/registration_trend.pdf").status_code == 404


def test_certificate_preview_counts_members_without_myna(client, figures, reviewer):
    client.force_login(reviewer)
    response = client.get(f"{URL}branch/13/certificate-preview/")
    assert response.status_code == 200
    assert response.context["preview"].without == 1
    assert "<strong>1</strong> 人" in response.content.decode()


def test_empty_dashboard_says_what_to_do(client, db, hq_admin):
    client.force_login(hq_admin)
    response = client.get(URL)
    assert "集計がまだありません" in response.content.decode()


def test_admin_index_links_to_the_dashboard(client, figures, reviewer):
    client.force_login(reviewer)
    assert URL in client.get("/admin/").content.decode()


def test_rank_marks_five_at_each_end_and_the_change_in_points(db):
    from core.models import Branch

    ids = list(Branch.objects.order_by("code").values_list("pk", flat=True))
    now = {pk: Count(i, 100) for i, pk in enumerate(ids)}
    before = {pk: Count(i - 1, 100) for i, pk in enumerate(ids) if i > 0}
    rows = rank(now, before)
    assert [r.mark for r in rows].count("top") == 5
    assert [r.mark for r in rows].count("bottom") == 5
    assert rows[-1].mark == "top" and rows[0].mark == "bottom"
    assert rows[5].change == Decimal("1.00") and rows[0].change is None


def test_kpi_target_is_set_by_headquarters_for_a_month(client, db, hq_admin, reviewer):
    client.force_login(reviewer)
    add = "/admin/myna/kpitarget/add/"
    assert client.get(add).status_code == 403
    client.force_login(hq_admin)
    response = client.post(add, {"month": "2025-11-30", "metric": "usage", "rate": "50"})
    assert response.status_code == 302
    assert KpiTarget.objects.get().month == date(2025, 11, 1)


def test_trend_legends_name_the_branch_and_the_nation(client, figures, hq_admin):
    client.force_login(hq_admin)
    national = client.get(URL).content.decode().split('id="registration_trend"')[1]
    assert ">協会全体</text>" in national.split("</svg>")[0]
    branch_page = client.get(f"{URL}branch/13/").content.decode()
    chart = branch_page.split('id="registration_trend"')[1].split("</svg>")[0]
    assert ">東京支部</text>" in chart and ">全国</text>" in chart


def test_a_branch_target_overrides_the_national_one_for_that_branch(figures):
    from myna.selectors import kpi_targets

    tokyo = branch(13)
    KpiTarget.objects.create(month=date(2025, 8, 1), metric=Metric.USAGE, branch=tokyo, rate=60)
    assert kpi_targets(metric=Metric.USAGE)[date(2025, 8, 1)] == Decimal("50")
    assert kpi_targets(metric=Metric.USAGE, branch=tokyo)[date(2025, 8, 1)] == Decimal("60")
    assert kpi_targets(metric=Metric.USAGE, branch=branch(27))[date(2025, 8, 1)] == Decimal("50")


def test_pages_show_any_date_the_summary_holds(client, figures, hq_admin):
    # A member who registers after July: July's figures do not count them.
    InsuredRecordFactory(
        person=PersonFactory(mynacard_registered=True, mynacard_registered_on=date(2025, 8, 10))
    )
    refresh_summary(as_of=date(2025, 7, 31))
    refresh_summary(as_of=AS_OF)
    client.force_login(hq_admin)
    july = client.get(URL, {"as_of": "2025-07-31"}).context["page"]
    assert july.as_of == date(2025, 7, 31)
    assert (july.headline.part, july.headline.whole) == (3, 6)
    assert client.get(URL).context["page"].headline.part == 4
    assert client.get(URL, {"as_of": "2025-07-15"}).context["page"].as_of == AS_OF  # not held
    assert client.get(URL, {"as_of": "junk"}).context["page"].as_of == AS_OF
    response = client.get(f"{URL}download/registration_by_age.csv", {"as_of": "2025-07-31"})
    assert "2025-07-31" in response["Content-Disposition"]
    body = client.get(URL, {"as_of": "2025-07-31"}).content.decode()
    assert 'value="2025-07-31" selected' in body
    assert "registration_by_age.csv?as_of=2025-07-31" in body
