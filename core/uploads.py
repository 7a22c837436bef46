"""Check and clean a file a member attaches to an application (添付書類).

:func:`validate_upload` decides the type from the CONTENT (libmagic on the bytes, then a real
parse with Pillow or pikepdf), never from the file name. Accepted: JPEG, PNG, HEIC/HEIF, PDF.

* Images are decoded fully and re-encoded without any metadata: EXIF (GPS position, camera,
  date), XMP, comments and ICC profiles are dropped; the EXIF orientation is applied to the
  pixels first so the page stays upright. JPEG and HEIC/HEIF become JPEG (staff browsers and
  PDF tools do not all read HEIC); PNG stays PNG (lossless, for screenshots). Colours are
  converted to sRGB when the image carries an ICC profile.
* PDFs must open with pikepdf (qpdf), must not be encrypted (not even with an empty password:
  staff tools would ask for it, and encrypted strings cannot be checked the same way), must
  have between 1 and :data:`MAX_PDF_PAGES` pages and must carry no active content. The bytes
  are kept as they are (no flattening: the member's scan or statement stays searchable).

Active content in a PDF (policy). Every object reachable from the trailer is visited once
(catalog, page tree and pages, annotations, AcroForm fields and their kids, outlines, the
``/Names`` trees, resources, stream dictionaries), iteratively with a visited set so a
``/Next`` loop or any reference cycle ends, and at most :data:`MAX_PDF_NODES` objects and
entries, so a crafted file cannot make the check hang (``too_complex``). A value of ``/A``,
``/OpenAction`` (when a dictionary, not a destination array), ``/PA``, ``/Next`` (dictionary
or array) and every value of an ``/AA`` (additional actions, on the catalog, pages,
annotations or fields) is an action, as is any dictionary with ``/Type /Action``; an
action names its type in ``/S`` (a dictionary there without one is not an action: a
structure element's ``/A`` holds its attributes, an outline item's ``/Next`` is the next
item). Then:

* allowed actions (:data:`SAFE_PDF_ACTIONS`): ``/GoTo`` (inside the document), ``/URI`` (a
  web address; viewers ask before opening it, and statements and receipts often carry
  links), ``/Named`` (next page, print …), ``/Thread``, ``/Hide``, ``/SetOCGState``,
  ``/Trans``, ``/ResetForm``;
* refused: every other action type, in particular ``/JavaScript``, ``/Launch``,
  ``/SubmitForm`` and ``/ImportData`` (send or read form data), ``/GoToR`` (opens another
  file on the reviewer's machine), ``/GoToE`` (opens an embedded file), ``/Rendition``,
  ``/Movie``, ``/Sound``, ``/RichMediaExecute`` and unknown ones. ``/JavaScript``,
  ``/Launch``, ``/SubmitForm``, ``/ImportData``, ``/GoToR`` and ``/GoToE`` are refused even
  outside an action position;
* refused wherever they appear: a ``/JS`` entry (scripts of JavaScript and rendition
  actions), a ``/JavaScript`` or ``/EmbeddedFiles`` name tree, ``/AlternatePresentations``
  (scripted slide shows), an ``/EF`` entry (a file specification with an embedded file),
  ``/Type /EmbeddedFile`` streams, ``/XFA`` forms (they carry their own scripts),
  ``/RichMediaContent``, and annotations of subtype ``/FileAttachment``, ``/RichMedia``,
  ``/Screen``, ``/Movie``, ``/Sound`` and ``/3D``.

pikepdf rather than pypdf for this: qpdf (C++, fuzzed continuously in OSS-Fuzz) parses and
repairs damaged files in native code and resolves object streams itself, while pypdf's pure
Python parser has had several infinite-loop advisories on crafted files and is slower on
large ones. The size message states the file's real size and the limit
(:func:`check_upload_size`).

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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath

import magic
import pikepdf
import pillow_heif
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from core.errors import ServiceError

#: Largest accepted upload, in bytes (10 MB).
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
#: Largest accepted image, in pixels (width × height; 40 megapixels).
MAX_IMAGE_PIXELS = 40_000_000
#: Most pages in an accepted PDF.
MAX_PDF_PAGES = 20
#: Most PDF objects, array elements and dictionary entries looked at for active content, so a
#: crafted file cannot make the check run for long (about 1 s of walking at the limit). A
#: 20-page scan uses about 600, a 20-page text PDF with an embedded CJK font about 10,000.
MAX_PDF_NODES = 100_000
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


class UploadError(ServiceError, ValueError):
    """A refused upload (400). ``code`` is for programs, ``message`` (Japanese) for the member.

    Codes: ``empty``, ``too_large``, ``unsupported_type``, ``corrupt``, ``too_many_pixels``,
    ``too_many_pages``, ``encrypted``, ``active_content``, ``too_complex``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)

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


def check_upload_size(size: int) -> None:
    """Raise ``too_large`` if ``size`` (bytes) is over :data:`MAX_UPLOAD_BYTES`.

    The message states the real size, rounded UP to 0.1 MB (10 MB and 1 byte is "10.1MB", never
    "10MB"), and the limit. Callers that read only the first ``MAX_UPLOAD_BYTES + 1`` bytes of
    a file check its real size with this first."""
    if size > MAX_UPLOAD_BYTES:
        tenths = -(-size * 10 // _MB)  # ceiling
        raise UploadError(
            "too_large",
            _("このファイルは%(size)sMBです。%(max)sMBまでのファイルを添付してください。")
            % {"size": f"{tenths // 10}.{tenths % 10}", "max": _mb(MAX_UPLOAD_BYTES)},
        )


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
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
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


#: Action types a PDF may carry: moving inside the document, opening a web address (the
#: viewer asks first), named viewer commands, article threads, showing/hiding or layering
#: parts of the page, page transitions, clearing a form. Everything else is refused.
SAFE_PDF_ACTIONS = frozenset(
    {"/GoTo", "/URI", "/Named", "/Thread", "/Hide", "/SetOCGState", "/Trans", "/ResetForm"}
)
#: Dictionary keys whose value is an action (or, for ``/Next``, an action or an array of them).
_ACTION_KEYS = frozenset({"/A", "/OpenAction", "/Next", "/PA"})
#: Annotation (and stream) subtypes that play media or carry a file.
_MEDIA_SUBTYPES = {
    "/FileAttachment": "embedded_file",
    "/RichMedia": "media",
    "/Screen": "media",
    "/Movie": "media",
    "/Sound": "media",
    "/3D": "media",
}
#: Keys that only exist to carry scripts, files or XFA forms, wherever they appear.
_ACTIVE_KEYS = {
    "/JS": "javascript",
    "/JavaScript": "javascript",
    "/EmbeddedFiles": "embedded_file",
    "/EF": "embedded_file",
    "/XFA": "xfa",
    "/AlternatePresentations": "javascript",
    "/RichMediaContent": "media",
}
#: What a refused action type is, for the message.
_ACTION_KINDS = {
    "/JavaScript": "javascript",
    "/Launch": "launch",
    "/SubmitForm": "form_submit",
    "/ImportData": "form_submit",
    "/GoToR": "remote",
    "/GoToE": "embedded_file",
}
_ACTIVE_LABELS = {  # gettext_noop: translated where the message is built
    "javascript": gettext_noop("スクリプト（JavaScript）"),
    "launch": gettext_noop("他のプログラムを起動する動作"),
    "embedded_file": gettext_noop("埋め込みファイル"),
    "form_submit": gettext_noop("入力内容を送信・読み込みするフォームの動作"),
    "xfa": gettext_noop("XFAフォーム"),
    "media": gettext_noop("動画・音声などのマルチメディア"),
    "remote": gettext_noop("他のファイルを開くリンク"),
    "action": gettext_noop("自動で実行される動作"),
}


class _ActiveContent(Exception):
    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def _name(value: object) -> str | None:
    if isinstance(value, pikepdf.Object) and value._type_code == pikepdf.ObjectType.name_:
        return str(value)
    return None


_CONTAINERS = (pikepdf.ObjectType.dictionary, pikepdf.ObjectType.stream, pikepdf.ObjectType.array)


def _container(value: object) -> bool:
    return isinstance(value, pikepdf.Object) and value._type_code in _CONTAINERS


def _check_dictionary(entries: Mapping[str, object], as_action: bool) -> None:
    """Raise :class:`_ActiveContent` if this one dictionary (or stream dictionary) is active."""
    for key in _ACTIVE_KEYS.keys() & entries.keys():
        raise _ActiveContent(_ACTIVE_KEYS[key])
    kind_name = _name(entries.get("/Type"))
    subtype = _name(entries.get("/Subtype"))
    if kind_name == "/EmbeddedFile" or (subtype in _MEDIA_SUBTYPES and "/Rect" in entries):
        raise _ActiveContent(_MEDIA_SUBTYPES.get(subtype or "", "embedded_file"))
    action = _name(entries.get("/S"))
    if action in _ACTION_KINDS:
        raise _ActiveContent(_ACTION_KINDS[action])
    # An action names its type in /S (required); a dictionary without one in an action
    # position is something else (a structure element's /A holds its attributes, an
    # outline item's /Next the next item) and no viewer runs it.
    is_action = as_action or kind_name == "/Action"
    if is_action and action is not None and action not in SAFE_PDF_ACTIONS:
        raise _ActiveContent("action")


def _find_active_content(pdf: pikepdf.Pdf) -> str | None:
    """The kind of the first active content found in any object reachable from the trailer,
    or None. Iterative, each (object, role) visited once, at most :data:`MAX_PDF_NODES`."""
    stack: list[tuple[pikepdf.Object, bool]] = [(pdf.trailer, False)]
    seen: set[tuple[int, int, bool]] = set()
    budget = MAX_PDF_NODES
    array, dictionary = pikepdf.ObjectType.array, pikepdf.ObjectType.dictionary
    try:
        while stack:
            obj, as_action = stack.pop()
            if obj.is_indirect:
                key = (*obj.objgen, as_action)
                if key in seen:
                    continue
                seen.add(key)
            budget -= 1
            if budget < 0:
                raise _TooComplex
            if obj._type_code == array:
                budget -= len(obj)
                if budget < 0:  # before converting a huge array's items
                    raise _TooComplex
                stack.extend((item, as_action) for item in obj if _container(item))
                continue
            # One call for all entries (a stream's are those of its dictionary).
            entries = dict((obj.stream_dict if obj._type_code != dictionary else obj).items())
            budget -= len(entries)
            _check_dictionary(entries, as_action)
            for name, value in entries.items():
                if not _container(value):
                    continue
                kind = value._type_code
                if name == "/AA" and kind == dictionary:
                    stack.append((value, False))
                    stack.extend((v, True) for v in value.values() if _container(v))
                elif name in _ACTION_KEYS and (
                    kind == dictionary or (name == "/Next" and kind == array)
                ):
                    stack.append((value, True))
                else:
                    stack.append((value, False))
    except _ActiveContent as found:
        return found.kind
    return None


class _TooComplex(Exception):
    pass


def _check_pdf(data: bytes) -> int:
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if pdf.is_encrypted:
                raise _encrypted()
            pages = len(pdf.pages)
            if pages > MAX_PDF_PAGES:
                raise UploadError(
                    "too_many_pages",
                    _(
                        "PDFのページ数が上限（%(max)sページ）を超えています（このファイルは"
                        "%(pages)sページ）。%(max)sページ以下に分けて添付してください。"
                    )
                    % {"max": MAX_PDF_PAGES, "pages": pages},
                )
            active = _find_active_content(pdf)
    except UploadError:
        raise
    except pikepdf.PasswordError:
        raise _encrypted() from None
    except _TooComplex:
        raise UploadError(
            "too_complex",
            _(
                "PDFの構造が複雑すぎるため確認できません。"
                "印刷機能で「PDFとして保存」し直してから添付してください。"
            ),
        ) from None
    except (
        pikepdf.PdfError,
        pikepdf.PikepdfError,
        OSError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        RecursionError,
        RuntimeError,
        NotImplementedError,
    ):
        raise _corrupt() from None
    if pages < 1:
        raise _corrupt()
    if active is not None:
        raise UploadError(
            "active_content",
            _(
                "このPDFには%(what)sが含まれているため添付できません。"
                "印刷機能で「PDFとして保存」し直したPDF（画面や紙の内容だけのPDF）を"
                "添付してください。"
            )
            % {"what": _(_ACTIVE_LABELS[active])},
        )
    return pages


def _encrypted() -> UploadError:
    return UploadError(
        "encrypted",
        _(
            "パスワードで保護（暗号化）されたPDFは添付できません。"
            "保護を解除して保存し直したPDFを添付してください。"
        ),
    )


def validate_upload(data: bytes, *, filename: str) -> CleanUpload:
    """Check an uploaded file and return what to store; raises :class:`UploadError`.

    ``filename`` is only used for :attr:`CleanUpload.filename`: the type comes from the bytes.
    """
    if not data:
        raise UploadError(
            "empty", _("ファイルが空です（0バイト）。添付するファイルを確認してください。")
        )
    check_upload_size(len(data))
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
