"""Reading and parsing the file ahead of the writer, batch by batch.

Step 1 of a batch (:meth:`Importer.prepare`: CSV, formats, dates, kana, check digits) needs
no database and no per-file state, so it runs while the caller checks the previous batch
against the database and writes it. Two ways:

- in a child **process** (PostgreSQL, the production path): parsing is pure Python, and a
  thread would share the GIL with the writer; a process uses the machine's second core.
  The child is forked (it inherits the loaded importer: branches, settings) with
  :class:`.forked.ForkedChild` (``os.fork`` and a pipe, not ``multiprocessing``: see there
  why; it also works in a Celery prefork pool worker) and sends each prepared batch as it
  is ready, at most ``QUEUE_BATCHES`` waiting, so memory stays flat however far ahead it
  could read. It never touches the database: the parent's connection is inherited but
  unused, and the child leaves with ``os._exit``, so nothing is sent on that socket.
- in a **thread** (other databases, or where a process cannot be started): one batch
  ahead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eligibility.imports.batch import Importer
from eligibility.imports.errors import ImportFileError
from eligibility.imports.forked import ChildEnded, ForkedChild
from eligibility.imports.reader import RawRow, read_rows

logger = logging.getLogger(__name__)

#: Prepared batches the child may have ready before the parent takes them.
QUEUE_BATCHES = 2

Prepared = tuple[int, list[Any]]  # (rows in the batch, prepared rows)


def batches(importer: Importer, path: Path, encoding: str, size: int) -> Iterator[list[RawRow]]:
    rows = read_rows(path, encoding, importer.columns)
    next(rows)  # the header map (read_rows raised if it is wrong)
    batch: list[RawRow] = []
    for raw in rows:
        assert isinstance(raw, RawRow)
        batch.append(raw)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def prepared_batches(
    importer: Importer, path: Path, encoding: str, size: int, *, in_process: bool
) -> Iterator[Prepared]:
    """The prepared batches of the file, in order; raises what reading raised
    (:class:`ImportFileError` for a broken file)."""
    if in_process:
        try:
            child = ForkedChild(
                lambda send: _child(importer, path, encoding, size, send), ahead=QUEUE_BATCHES
            )
        except OSError as exc:
            logger.info("%s: no child process for parsing (%r)", path.name, exc)
        else:
            logger.info("%s: parsing in a child process (pid %s)", path.name, child.pid)
            yield from _from_child(child)
            return
    logger.info("%s: parsing in a thread", path.name)
    yield from _in_thread(importer, path, encoding, size)


# --- in a thread ---------------------------------------------------------------------
def _in_thread(importer: Importer, path: Path, encoding: str, size: int) -> Iterator[Prepared]:
    source = batches(importer, path, encoding, size)

    def next_prepared() -> Prepared | None:
        batch = next(source, None)
        return None if batch is None else (len(batch), importer.prepare(batch))

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-parse") as pool:
        future = pool.submit(next_prepared)
        while True:
            item = future.result()
            if item is None:
                return
            future = pool.submit(next_prepared)
            yield item


# --- in a child process --------------------------------------------------------------
@dataclass(frozen=True)
class _FileError:
    """An ImportFileError, sent as plain fields (its keyword arguments do not pickle)."""

    message: str
    line: int | None
    column: str


@dataclass(frozen=True)
class _Crash:
    description: str


def _child(
    importer: Importer, path: Path, encoding: str, size: int, send: Callable[[Any], None]
) -> None:
    try:
        for batch in batches(importer, path, encoding, size):
            send((len(batch), importer.prepare(batch)))
    except ImportFileError as exc:
        send(_FileError(exc.message, exc.line, exc.column))
    except BaseException as exc:  # reported to the parent, which raises
        send(_Crash(f"{type(exc).__name__}: {exc}"))


def _from_child(child: ForkedChild) -> Iterator[Prepared]:
    try:
        while True:
            try:
                item = child.receive()
            except ChildEnded as exc:
                raise RuntimeError(f"import parser process failed: {exc}") from None
            if item is None:
                return
            if isinstance(item, _FileError):
                raise ImportFileError(item.message, line=item.line, column=item.column)
            if isinstance(item, _Crash):
                raise RuntimeError(f"import parser process failed: {item.description}")
            yield item
    finally:
        child.stop()
