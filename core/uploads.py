"""Check and clean a file a member attaches to an application (添付書類).

:func:`validate_upload` decides the type from the CONTENT (libmagic on the bytes, then a real
parse with Pillow or pypdf), never from the file name. Accepted: JPEG, PNG, HEIC/HEIF, PDF.

* Images are decoded fully and re-encoded without any metadata: EXIF (GPS position, camera,
  date), XMP, comments and ICC profiles are dropped; the EXIF orientation is applied to the
  pixels first so the page stays upright. JPEG and HEIC/HEIF become JPEG (staff browsers and
  PDF tools do not all read HEIC); PNG stays PNG (lossless, for screenshots). Colours are
  converted to sRGB when the image carries an ICC profile.
* PDFs must open with pypdf, must not be encrypted (even with an empty password), must have
  between 1 and :data:`MAX_PDF_PAGES` pages and must not carry JavaScript or embedded files.
  The bytes are kept as they are.

Limits are the module constants below. Pillow's decompression-bomb guard is set to
:data:`MAX_IMAGE_PIXELS` for the whole process (``Image.MAX_IMAGE_PIXELS``), and both its
warning and its error become an :class:`UploadError` with code ``too_many_pixels``.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath

import magic
import pillow_heif
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import DictionaryObject

#: Largest accepted upload, in bytes (10 MB).
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
#: Largest accepted image, in pixels (width × height; 40 megapixels).
MAX_IMAGE_PIXELS = 40_000_000
#: Most pages in an accepted PDF.
MAX_PDF_PAGES = 20
#: Quality of re-encoded JPEGs.
JPEG_QUALITY = 90
#: Longest file name kept (characters, extension included).
MAX_FILENAME_LENGTH = 100

# Deliberate, process-wide: Pillow warns above MAX_IMAGE_PIXELS and raises above twice that.
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
pillow_heif.register_heif_opener()

_MB = 1024 * 1024

UNSUPPORTED_MESSAGE = gettext_noop(
    "ファイルの形式に対応していません。JPEG、PNG、HEIC、PDFのいずれかを添付してください。"
)

#: libmagic MIME type → (kind, Pillow format expected).
_ACCEPTED: dict[str, tuple[str, str | None]] = {
    "image/jpeg": ("jpeg", "JPEG"),
    "image/png": ("png", "PNG"),
    "image/heic": ("heif", "HEIF"),
    "image/heif": ("heif", "HEIF"),
    "application/pdf": ("pdf", None),
}


class UploadError(ValueError):
    """A refused upload. ``code`` is for programs, ``message`` (Japanese) for the member.

    Codes: ``empty``, ``too_large``, ``unsupported_type``, ``corrupt``, ``too_many_pixels``,
    ``too_many_pages``, ``encrypted``, ``active_content``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


@dataclass(frozen=True)
class CleanUpload:
    """An accepted upload: the bytes to store and what is known about them."""

    content: bytes = field(repr=False)
    content_type: str
    extension: str
    sha256: str
    size: int
    filename: str
    width: int | None = None
    height: int | None = None
    pages: int | None = None


def _mb(n: int) -> str:
    value = n / _MB
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _corrupt() -> UploadError:
    return UploadError(
        "corrupt",
        _(
            "ファイルが壊れているか、途中までしか送信されていないため読み込めません。"
            "元のファイルを確認して、もう一度添付してください。"
        ),
    )


def _too_many_pixels(width: int | None = None, height: int | None = None) -> UploadError:
    size = ""
    if width and height:
        size = _("（この画像は%(w)s×%(h)s画素）") % {"w": width, "h": height}
    return UploadError(
        "too_many_pixels",
        _(
            "画像の画素数が上限（%(max)s万画素）を超えています%(size)s。"
            "解像度を下げて保存し直してから添付してください。"
        )
        % {"max": f"{MAX_IMAGE_PIXELS // 10_000:,}", "size": size},
    )


def clean_filename(filename: str, extension: str) -> str:
    """The base name without directories or control characters, with the extension that
    matches the content (``scan.HEIC`` → ``scan.jpg``); at most :data:`MAX_FILENAME_LENGTH`."""
    base = PureWindowsPath(PurePosixPath(filename or "").name).name
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip(" .\u3000")
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", base) or "attachment"
    return stem[: MAX_FILENAME_LENGTH - len(extension) - 1] + "." + extension


def _to_srgb(image: Image.Image) -> Image.Image:
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        srgb = ImageCms.createProfile("sRGB")
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, source, srgb, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image
    return converted if converted is not None else image


def _flatten(image: Image.Image) -> Image.Image:
    """RGB (or L) for JPEG: transparent areas become white."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    ):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _clean_image(data: bytes, pillow_format: str) -> tuple[bytes, str, str, int, int]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[pillow_format]) as opened:
                width, height = opened.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise _too_many_pixels(width, height)
                opened.load()
                image = ImageOps.exif_transpose(opened)
                image.load()
    except UploadError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise _corrupt() from None

    image = _to_srgb(image)
    # A fresh info dict: nothing (EXIF, XMP, comment, ICC, text chunks) is carried over.
    image.info = {}
    out = io.BytesIO()
    if pillow_format == "PNG":
        if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        image.save(out, format="PNG")
        content_type, extension = "image/png", "png"
    else:
        image = _flatten(image)
        image.save(out, format="JPEG", quality=JPEG_QUALITY)
        content_type, extension = "image/jpeg", "jpg"
    return out.getvalue(), content_type, extension, image.width, image.height


def _has_active_content(reader: PdfReader) -> bool:
    root = reader.trailer.get("/Root")
    root = root.get_object() if root is not None else None
    if not isinstance(root, DictionaryObject):
        return False
    names = root.get("/Names")
    names = names.get_object() if names is not None else None
    if isinstance(names, DictionaryObject) and ("/JavaScript" in names or
                                                 "/EmbeddedFiles" in names):
        return True
    if "/AA" in root:
        return True
    action = root.get("/OpenAction")
    action = action.get_object() if action is not None else None
    return isinstance(action, DictionaryObject) and action.get("/S") in (
        "/JavaScript",
        "/Launch",
    )


def _check_pdf(data: bytes) -> int:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise UploadError(
                "encrypted",
                _(
                    "パスワードで保護（暗号化）されたPDFは添付できません。"
                    "保護を解除して保存し直したPDFを添付してください。"
                ),
            )
        pages = len(reader.pages)
        active = _has_active_content(reader)
    except UploadError:
        raise
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError,
            RecursionError, AssertionError):
        raise _corrupt() from None
    if pages < 1:
        raise _corrupt()
    if pages > MAX_PDF_PAGES:
        raise UploadError(
            "too_many_pages",
            _(
                "PDFのページ数が上限（%(max)sページ）を超えています（このファイルは"
                "%(pages)sページ）。%(max)sページ以下に分けて添付してください。"
            )
            % {"max": MAX_PDF_PAGES, "pages": pages},
        )
    if active:
        raise UploadError(
            "active_content",
            _(
                "スクリプトや埋め込みファイルを含むPDFは添付できません。"
                "印刷機能などでPDFとして保存し直してから添付してください。"
            ),
        )
    return pages


def validate_upload(data: bytes, *, filename: str) -> CleanUpload:
    """Check an uploaded file and return what to store; raises :class:`UploadError`.

    ``filename`` is only used for :attr:`CleanUpload.filename`: the type comes from the bytes.
    """
    if not data:
        raise UploadError(
            "empty", _("ファイルが空です（0バイト）。添付するファイルを確認してください。")
        )
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(
            "too_large",
            _(
                "ファイルのサイズが上限（%(max)sMB）を超えています（このファイルは"
                "%(size)sMB）。%(max)sMB以下にして添付してください。"
            )
            % {"max": _mb(MAX_UPLOAD_BYTES), "size": _mb(len(data))},
        )
    mime = magic.from_buffer(data[:65536], mime=True)
    accepted = _ACCEPTED.get(mime)
    if accepted is None:
        raise UploadError("unsupported_type", _(UNSUPPORTED_MESSAGE))
    kind, pillow_format = accepted

    if kind == "pdf":
        pages = _check_pdf(data)
        return CleanUpload(
            content=data,
            content_type="application/pdf",
            extension="pdf",
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            filename=clean_filename(filename, "pdf"),
            pages=pages,
        )

    assert pillow_format is not None
    content, content_type, extension, width, height = _clean_image(data, pillow_format)
    return CleanUpload(
        content=content,
        content_type=content_type,
        extension=extension,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        filename=clean_filename(filename, extension),
        width=width,
        height=height,
    )
