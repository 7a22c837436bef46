"""The four artifacts of a package: the reasons PDF, the form image, the attachments and the
signed resubmission file, built from a returned application."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image
from pypdf import PdfReader

from returns.building.form_image import DPI, PAGE_H, PAGE_W, FormSheet, SheetRow, render_form_pages
from returns.models import FileKind, PackageState
from tests.returns.support import built, return_it, reviewing_application

pytestmark = pytest.mark.django_db


@pytest.fixture
def package(reviewer):
    application = reviewing_application(
        record__name="髙\U00020003　﨑子", record__address="東京都千代田区霞が関1-2-3"
    )
    return built(return_it(application, reviewer))


def test_package_holds_notice_form_image_attachments_and_resubmission_file(package):
    kinds = [f.kind for f in package.files.order_by("position")]
    assert kinds[0] == FileKind.NOTICE
    assert FileKind.FORM_IMAGE in kinds
    assert kinds.count(FileKind.ATTACHMENT) == 2
    assert kinds[-1] == FileKind.RESUBMISSION
    assert package.state == PackageState.READY


def test_notice_pdf_is_searchable_text_with_subset_embedded_fonts(package):
    notice = package.files.get(kind=FileKind.NOTICE)
    reader = PdfReader(io.BytesIO(notice.file.read()))
    text = "".join(page.extract_text() for page in reader.pages)
    application = package.message.application
    for expected in (
        "返戻理由のお知らせ",
        application.receipt_number,
        "添付書類の不足",
        "休んだ期間の初日を確認してください",
        "令和",
        "再申請の方法",
        "東京支部",
    ):
        assert expected in text, expected
    assert "\U00020003" in text and "髙" in text  # 外字 printed as text, not boxes
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = (
                font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            )
            descriptor = descendant["/FontDescriptor"].get_object()
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts.add(str(font["/BaseFont"]))
    # Subset fonts carry a six-letter tag: ABCDEF+Name.
    assert all("+" in name for name in fonts)
    assert any("IPAmj" in name for name in fonts)


def test_form_image_is_a4_at_150_dpi_and_paginates_long_values():
    sheet = FormSheet(
        title="傷病手当金支給申請書",
        receipt_number="2026112200000001",
        received_on="令和8年11月22日",
        header_rows=(SheetRow("氏名", "髙𠮷　太郎"),),
        rows=tuple(SheetRow(f"項目{i}", "長い値です。" * 40) for i in range(40)),
    )
    pages = render_form_pages(sheet)
    assert len(pages) > 1
    image = Image.open(io.BytesIO(pages[0]))
    assert image.size == (PAGE_W, PAGE_H)
    assert round(image.info["dpi"][0]) == DPI


def test_resubmission_file_is_readable_json_with_the_receipt_number(package):
    file = package.files.get(kind=FileKind.RESUBMISSION)
    document = json.loads(file.file.read().decode())
    application = package.message.application
    assert document["protected"]["receipt_number"] == application.receipt_number
    assert document["protected"]["issued_to"] == application.applicant_id
    assert document["editable"]["data"] == application.data
    assert len(document["protected"]["attachments"]) == 2
    assert document["signature"]["key_id"] == "test-k1"


def test_rendering_leaves_pillow_refusing_truncated_images(package):
    # WeasyPrint's import sets ImageFile.LOAD_TRUNCATED_IMAGES = True for the whole process,
    # which made core.uploads accept a truncated JPEG after a notice was rendered.
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_notice_renders_without_any_weasyprint_warning(caplog):
    # A broken stylesheet rule, a missing font or an unreachable URL only shows in the log.
    from returns.building.reasons_pdf import Notice, NoticeReason, render_notice

    caplog.set_level("WARNING", logger="weasyprint")
    notice = Notice(
        addressee="協会　太郎", postal_code="100-0001", address="東京都千代田区", on_behalf_of="",
        branch_name="全国健康保険協会 東京支部", branch_postal_code="", branch_address="",
        branch_phone="", contact="全国健康保険協会 東京支部", issued_on="令和8年12月4日",
        form_name="傷病手当金支給申請書", receipt_number="2026112200000001",
        received_on="令和8年11月22日", member_name="協会　太郎", symbol="1", number="2",
        branch_number="00",
        reasons=(NoticeReason("記載内容の不備", "傷病名", "確認してください。"),),
    )  # fmt: skip
    assert render_notice(notice).startswith(b"%PDF")
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []
