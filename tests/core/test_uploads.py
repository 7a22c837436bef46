"""core.uploads: type by content, metadata stripped, limits enforced, clear refusals."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from collections.abc import Callable

import pikepdf
import pillow_heif
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from core import uploads
from core.uploads import (
    MAX_IMAGE_PIXELS,
    MAX_PDF_PAGES,
    MAX_UPLOAD_BYTES,
    UNSUPPORTED_MESSAGE,
    CleanUpload,
    UploadError,
    clean_filename,
    validate_upload,
)

# --- test files, built here --------------------------------------------------------------------


def _exif_with_gps(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "TestCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (35.0, 41.0, 22.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (139.0, 41.0, 30.0)
    return exif


def _two_colour_image(width: int = 60, height: int = 30) -> Image.Image:
    """Left half red, right half blue."""
    image = Image.new("RGB", (width, height), (255, 0, 0))
    image.paste((0, 0, 255), (width // 2, 0, width, height))
    return image


def jpeg_with_gps(orientation: int = 6) -> bytes:
    out = io.BytesIO()
    _two_colour_image().save(out, "JPEG", exif=_exif_with_gps(orientation), comment=b"secret-note")
    return out.getvalue()


def noisy_jpeg(size: int = 300) -> bytes:
    image = Image.frombytes("RGB", (size, size), bytes(range(256)) * (size * size * 3 // 256 + 1))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def png_with_metadata() -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "山田太郎")
    out = io.BytesIO()
    Image.new("RGBA", (32, 16), (0, 128, 0, 200)).save(
        out, "PNG", pnginfo=info, exif=_exif_with_gps(1)
    )
    return out.getvalue()


def heic_with_gps() -> bytes | None:
    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    try:
        _two_colour_image().save(out, "HEIF", exif=_exif_with_gps(1).tobytes())
    except Exception:  # pragma: no cover - depends on the libheif build
        return None
    return out.getvalue()


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` × ``height`` pixels (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def pdf_bytes(
    pages: int = 2,
    *,
    password: str | None = None,
    javascript: bool = False,
    open_action_js: bool = False,
) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if javascript:  # document-level JavaScript (the /Names tree)
        writer.add_open_action(JavaScript("app.alert('hi');"))
    if open_action_js:  # /OpenAction written by hand
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert('hi');"),
            }
        )
    if password is not None:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- images --------------------------------------------------------------------------------------


def test_jpeg_exif_and_gps_are_stripped_and_orientation_applied() -> None:
    original = jpeg_with_gps(orientation=6)
    # Sanity: the test file really carries GPS and the comment.
    with Image.open(io.BytesIO(original)) as source:
        assert source.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert source.size == (60, 30)

    clean = validate_upload(original, filename="IMG_0001.JPG")

    assert isinstance(clean, CleanUpload)
    assert clean.content_type == "image/jpeg"
    assert clean.extension == "jpg"
    assert clean.filename == "IMG_0001.jpg"
    # Orientation 6 = rotate 90° clockwise to display: 60×30 becomes 30×60.
    assert (clean.width, clean.height) == (30, 60)
    with Image.open(io.BytesIO(clean.content)) as result:
        assert result.format == "JPEG"
        assert result.size == (30, 60)
        assert len(result.getexif()) == 0
        assert "exif" not in result.info and "comment" not in result.info
        # The red left half is now at the top, the blue right half at the bottom.
        red_top = result.convert("RGB").getpixel((15, 5))
        blue_bottom = result.convert("RGB").getpixel((15, 55))
    assert red_top[0] > 200 and red_top[2] < 60
    assert blue_bottom[2] > 200 and blue_bottom[0] < 60
    assert b"Exif" not in clean.content
    assert b"secret-note" not in clean.content
    assert b"TestCam" not in clean.content
    assert clean.size == len(clean.content)
    assert clean.sha256 == hashlib.sha256(clean.content).hexdigest()
    assert clean.pages is None


def test_png_stays_png_without_text_or_exif() -> None:
    clean = validate_upload(png_with_metadata(), filename="screenshot.png")
    assert clean.content_type == "image/png"
    assert clean.extension == "png"
    assert (clean.width, clean.height) == (32, 16)
    assert "山田太郎".encode() not in clean.content
    with Image.open(io.BytesIO(clean.content)) as result:
        assert result.format == "PNG"
        assert result.mode == "RGBA"  # transparency kept for PNG
        assert "Author" not in result.info
        assert len(result.getexif()) == 0


def test_heic_is_converted_to_jpeg_without_metadata() -> None:
    data = heic_with_gps()
    if data is None:
        pytest.skip("this libheif cannot encode HEIC")
    clean = validate_upload(data, filename="IMG_1234.HEIC")
    assert clean.content_type == "image/jpeg"
    assert clean.filename == "IMG_1234.jpg"
    assert (clean.width, clean.height) == (60, 30)
    with Image.open(io.BytesIO(clean.content)) as result:
        assert result.format == "JPEG"
        assert len(result.getexif()) == 0
    assert b"TestCam" not in clean.content


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (100_000, 100_000),  # far beyond: Pillow's DecompressionBombError
        (8_000, 6_000),  # 48 MP: above the limit, below twice it (Pillow's warning zone)
    ],
)
def test_decompression_bomb_is_refused(width: int, height: int) -> None:
    assert width * height > MAX_IMAGE_PIXELS
    with pytest.raises(UploadError) as caught:
        validate_upload(png_claiming(width, height), filename="bomb.png")
    assert caught.value.code == "too_many_pixels"
    assert "4,000万画素" in caught.value.message


def test_truncated_jpeg_is_refused_as_corrupt() -> None:
    data = noisy_jpeg()
    with pytest.raises(UploadError) as caught:
        validate_upload(data[: len(data) // 2], filename="scan.jpg")
    assert caught.value.code == "corrupt"
    assert "壊れて" in caught.value.message


def test_text_renamed_to_jpg_is_refused() -> None:
    with pytest.raises(UploadError) as caught:
        validate_upload("これは画像ではありません\n".encode() * 20, filename="receipt.jpg")
    assert caught.value.code == "unsupported_type"
    assert caught.value.message == UNSUPPORTED_MESSAGE
    assert str(caught.value) == UNSUPPORTED_MESSAGE


def test_other_image_formats_are_refused() -> None:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    with pytest.raises(UploadError) as caught:
        validate_upload(out.getvalue(), filename="anim.png")
    assert caught.value.code == "unsupported_type"


def test_type_comes_from_content_not_extension() -> None:
    clean = validate_upload(png_with_metadata(), filename="document.pdf")
    assert clean.content_type == "image/png"
    assert clean.filename == "document.png"


# --- PDF -------------------------------------------------------------------------------------


def test_pdf_is_kept_as_is_with_page_count() -> None:
    data = pdf_bytes(pages=3)
    clean = validate_upload(data, filename="明細書.pdf")
    assert clean.content == data
    assert clean.content_type == "application/pdf"
    assert clean.extension == "pdf"
    assert clean.pages == 3
    assert clean.width is None and clean.height is None
    assert clean.filename == "明細書.pdf"
    assert clean.sha256 == hashlib.sha256(data).hexdigest()
    assert len(PdfReader(io.BytesIO(clean.content)).pages) == 3


def test_pdf_at_the_page_limit_is_accepted_and_above_it_refused() -> None:
    assert validate_upload(pdf_bytes(MAX_PDF_PAGES), filename="a.pdf").pages == MAX_PDF_PAGES
    with pytest.raises(UploadError) as caught:
        validate_upload(pdf_bytes(MAX_PDF_PAGES + 1), filename="a.pdf")
    assert caught.value.code == "too_many_pages"
    assert f"{MAX_PDF_PAGES}ページ" in caught.value.message
    assert f"{MAX_PDF_PAGES + 1}ページ" in caught.value.message


@pytest.mark.parametrize("password", ["secret", ""])
def test_encrypted_pdf_is_refused(password: str) -> None:
    with pytest.raises(UploadError) as caught:
        validate_upload(pdf_bytes(1, password=password), filename="locked.pdf")
    assert caught.value.code == "encrypted"


@pytest.mark.parametrize("kind", ["javascript", "open_action_js"])
def test_pdf_with_javascript_is_refused(kind: str) -> None:
    with pytest.raises(UploadError) as caught:
        validate_upload(pdf_bytes(1, **{kind: True}), filename="form.pdf")
    assert caught.value.code == "active_content"


def test_broken_pdf_is_refused() -> None:
    with pytest.raises(UploadError) as caught:
        validate_upload(b"%PDF-1.7\n" + b"\x00garbage" * 50, filename="x.pdf")
    assert caught.value.code in ("corrupt", "unsupported_type")


# --- size --------------------------------------------------------------------------------------


def test_empty_file_is_refused() -> None:
    with pytest.raises(UploadError) as caught:
        validate_upload(b"", filename="a.jpg")
    assert caught.value.code == "empty"


def test_too_large_file_is_refused_with_limit_in_mb() -> None:
    data = b"%PDF-1.4\n" + b"0" * MAX_UPLOAD_BYTES
    with pytest.raises(UploadError) as caught:
        validate_upload(data, filename="big.pdf")
    assert caught.value.code == "too_large"
    assert "10MB" in caught.value.message


# --- file names and robustness -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "passwd.pdf"),
        ("C:\\Users\\me\\scan.PDF", "scan.pdf"),
        ("", "attachment.pdf"),
        ("report\x00.pdf", "report.pdf"),
        ("領収書.heic", "領収書.pdf"),
    ],
)
def test_clean_filename(given: str, expected: str) -> None:
    assert clean_filename(given, "pdf") == expected


PREFIXES = [
    b"",
    b"\xff\xd8\xff\xe0",
    b"\x89PNG\r\n\x1a\n",
    b"%PDF-1.4\n",
    b"\x00\x00\x00\x18ftypheic",
]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.sampled_from(PREFIXES), st.binary(max_size=2048))
def test_arbitrary_bytes_either_pass_or_raise_upload_error(prefix: bytes, tail: bytes) -> None:
    try:
        clean = validate_upload(prefix + tail, filename="x.bin")
    except UploadError as error:
        assert error.code and error.message
    else:
        assert clean.content_type in ("image/jpeg", "image/png", "application/pdf")


# --- hostile PDFs: active content anywhere (built here with pikepdf) ----------------------------


def js() -> pikepdf.Dictionary:
    return pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('x');"))


def _pdf(build: Callable[[pikepdf.Pdf], None] | None = None, pages: int = 1) -> bytes:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
    if build is not None:
        build(pdf)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _link(pdf: pikepdf.Pdf, action: pikepdf.Dictionary) -> None:
    annot = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Link,
            Rect=[10, 10, 100, 40],
            A=action,
        )
    )
    pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([annot]))


def page_open_js(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].obj.AA = pikepdf.Dictionary(O=js())


def link_js(pdf: pikepdf.Pdf) -> None:
    _link(pdf, js())


def open_action_next_js(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = pikepdf.Dictionary(
        S=pikepdf.Name.GoTo, D=[pdf.pages[0].obj, pikepdf.Name.Fit], Next=js()
    )


def next_array_js(pdf: pikepdf.Pdf) -> None:
    goto = pikepdf.Dictionary(S=pikepdf.Name.GoTo, D=[pdf.pages[0].obj, pikepdf.Name.Fit])
    pdf.Root.OpenAction = pikepdf.Dictionary(
        S=pikepdf.Name.GoTo, D=[pdf.pages[0].obj, pikepdf.Name.Fit], Next=[goto, js()]
    )


def _goto_loop(pdf: pikepdf.Pdf, tail: pikepdf.Dictionary | None) -> None:
    """/OpenAction → a → b → a … (a /Next cycle through indirect objects)."""
    dest = [pdf.pages[0].obj, pikepdf.Name.Fit]
    a = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.GoTo, D=dest))
    b = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.GoTo, D=dest))
    a.Next = b
    b.Next = [a, tail] if tail is not None else a
    pdf.Root.OpenAction = a


def next_loop_with_js(pdf: pikepdf.Pdf) -> None:
    _goto_loop(pdf, js())


def names_tree_js(pdf: pikepdf.Pdf) -> None:
    pdf.Root.Names = pikepdf.Dictionary(
        JavaScript=pikepdf.Dictionary(Names=[pikepdf.String("init"), pdf.make_indirect(js())])
    )


def acroform_field_js(pdf: pikepdf.Pdf) -> None:
    field = pdf.make_indirect(
        pikepdf.Dictionary(
            FT=pikepdf.Name.Tx,
            T=pikepdf.String("amount"),
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Widget,
            Rect=[10, 10, 200, 30],
            AA=pikepdf.Dictionary(K=js()),  # keystroke script
        )
    )
    pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([field]))
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=[field])


def embedded_file(pdf: pikepdf.Pdf) -> None:
    pdf.attachments["payload.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00")


def file_attachment_annotation(pdf: pikepdf.Pdf) -> None:
    stream = pikepdf.Stream(pdf, b"MZ")
    stream.Type = pikepdf.Name.EmbeddedFile
    spec = pikepdf.Dictionary(
        Type=pikepdf.Name.Filespec, F=pikepdf.String("a.exe"), EF=pikepdf.Dictionary(F=stream)
    )
    annot = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.FileAttachment, Rect=[0, 0, 9, 9], FS=spec
    )
    pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([annot]))


def launch_action(pdf: pikepdf.Pdf) -> None:
    _link(pdf, pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe")))


def submit_form(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = pikepdf.Dictionary(
        S=pikepdf.Name.SubmitForm, F=pikepdf.String("https://evil.example/")
    )


def remote_goto(pdf: pikepdf.Pdf) -> None:
    _link(pdf, pikepdf.Dictionary(S=pikepdf.Name.GoToR, F=pikepdf.String("\\\\host\\x.pdf")))


def unknown_action(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].obj.AA = pikepdf.Dictionary(C=pikepdf.Dictionary(S=pikepdf.Name.Whatever))


def xfa_form(pdf: pikepdf.Pdf) -> None:
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=[], XFA=pikepdf.Stream(pdf, b"<xdp/>"))


def catalog_aa(pdf: pikepdf.Pdf) -> None:
    pdf.Root.AA = pikepdf.Dictionary(WC=js())  # "will close" script


def js_deep_in_outline(pdf: pikepdf.Pdf) -> None:
    item = pdf.make_indirect(pikepdf.Dictionary(Title=pikepdf.String("1"), A=js()))
    outlines = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines, First=item))
    item.Parent = outlines
    pdf.Root.Outlines = outlines


@pytest.mark.parametrize(
    ("build", "label"),
    [
        (page_open_js, "スクリプト"),
        (link_js, "スクリプト"),
        (open_action_next_js, "スクリプト"),
        (next_array_js, "スクリプト"),
        (next_loop_with_js, "スクリプト"),
        (names_tree_js, "スクリプト"),
        (acroform_field_js, "スクリプト"),
        (catalog_aa, "スクリプト"),
        (js_deep_in_outline, "スクリプト"),
        (embedded_file, "埋め込みファイル"),
        (file_attachment_annotation, "埋め込みファイル"),
        (launch_action, "他のプログラムを起動する動作"),
        (submit_form, "送信"),
        (remote_goto, "他のファイルを開くリンク"),
        (unknown_action, "自動で実行される動作"),
        (xfa_form, "XFAフォーム"),
    ],
)
def test_pdf_with_active_content_anywhere_is_refused(
    build: Callable[[pikepdf.Pdf], None], label: str
) -> None:
    with pytest.raises(UploadError) as caught:
        validate_upload(_pdf(build), filename="form.pdf")
    assert caught.value.code == "active_content"
    assert label in caught.value.message
    assert "PDFとして保存" in caught.value.message


def test_pdf_with_next_loop_of_safe_actions_ends_and_passes() -> None:
    data = _pdf(lambda pdf: _goto_loop(pdf, None))
    assert validate_upload(data, filename="loop.pdf").pages == 1


@pytest.mark.parametrize(
    "action",
    [
        pikepdf.Dictionary(
            S=pikepdf.Name.URI, URI=pikepdf.String("https://www.kyoukaikenpo.or.jp/")
        ),
        pikepdf.Dictionary(S=pikepdf.Name.Named, N=pikepdf.Name.NextPage),
    ],
)
def test_pdf_with_safe_links_passes(action: pikepdf.Dictionary) -> None:
    assert validate_upload(_pdf(lambda pdf: _link(pdf, action)), filename="a.pdf").pages == 1


@pytest.mark.parametrize("pages", [1, MAX_PDF_PAGES])
def test_tagged_pdf_from_weasyprint_passes(pages: int) -> None:
    """A tagged PDF, as WeasyPrint writes it: structure elements use /S for their type and /A
    for their attributes, outline items chain with /Next, links are /URI and /GoTo."""
    weasyprint = pytest.importorskip("weasyprint")
    chapter = (
        "<h1 id='c{i}'>第{i}章 記入例</h1><p>{text}</p>"
        "<a href='https://www.kyoukaikenpo.or.jp/'>協会けんぽ</a> <a href='#c0'>目次へ</a>"
        "<table><tr><th>項目</th><td>金額 1,000円</td></tr></table>"
    )
    body = "<div style='page-break-after: always'></div>".join(
        chapter.format(i=i, text="被保険者の氏名と記号・番号を記入してください。髙﨑 " * 30)
        for i in range(pages)
    )
    html = f"<html lang='ja'><head><title>領収書</title></head><body>{body}</body></html>"
    data = weasyprint.HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert "/StructTreeRoot" in pdf.Root
        assert len(pdf.pages) == pages
    assert validate_upload(data, filename="receipt.pdf").pages == pages


def test_pdf_check_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the node budget the PDF is refused, not walked for ever."""
    data = _pdf(lambda pdf: setattr(pdf.Root, "Junk", pikepdf.Array([[i] for i in range(300)])))
    assert validate_upload(data, filename="ok.pdf").pages == 1
    monkeypatch.setattr(uploads, "MAX_PDF_NODES", 100)
    with pytest.raises(UploadError) as caught:
        validate_upload(data, filename="big.pdf")
    assert caught.value.code == "too_complex"
    assert "PDF" in caught.value.message


def test_pdf_with_broken_page_tree_loop_is_refused_as_corrupt() -> None:
    def loop(pdf: pikepdf.Pdf) -> None:
        pages = pdf.Root.Pages
        pages.Kids.append(pages)
        pages.Count = 2

    try:
        data = _pdf(loop)
    except Exception:  # pragma: no cover - qpdf may refuse to write it at all
        pytest.skip("qpdf will not write a looping page tree")
    with pytest.raises(UploadError) as caught:
        validate_upload(data, filename="x.pdf")
    assert caught.value.code in ("corrupt", "too_complex")
