"""A ZIP archive produced piece by piece, for a StreamingHttpResponse.

The standard library's ``zipfile`` writes to a non-seekable stream (it then uses data
descriptors), so a small write-only sink that hands its bytes to a generator is enough; no
dependency. At most one chunk of one member file is in memory at a time. Already-compressed
members (PDF, PNG, JPEG) are stored; others are deflated.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

CHUNK = 64 * 1024
STORED_SUFFIXES = (".pdf", ".png", ".jpg", ".jpeg", ".zip", ".heic")


@dataclass(frozen=True, slots=True)
class ZipMember:
    """One file of the archive: its name inside, its time, and how to open its bytes."""

    name: str
    modified: datetime
    open: Callable[[], BinaryIO]


class _Sink:
    """A write-only file object that keeps what was written until it is taken."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._position = 0

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def stream_zip(members: Iterable[ZipMember]) -> Iterator[bytes]:
    """Yield the bytes of a ZIP archive of ``members``, in order."""
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", allowZip64=True) as archive:  # type: ignore[call-overload]  # a write-only sink, not a full file object
        for member in members:
            info = zipfile.ZipInfo(member.name, date_time=member.modified.timetuple()[:6])
            stored = member.name.lower().endswith(STORED_SUFFIXES)
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            with member.open() as source, archive.open(info, mode="w") as out:
                while chunk := source.read(CHUNK):
                    out.write(chunk)
                    if data := sink.take():
                        yield data
            if data := sink.take():
                yield data
    if data := sink.take():
        yield data
