"""Reading and parsing the file ahead of the writer, batch by batch.

Step 1 of a batch (:meth:`Importer.prepare`: CSV, formats, dates, kana, check digits) needs
no database and no per-file state, so it runs while the caller checks the previous batch
against the database and writes it. Two ways:

- in a child **process** (PostgreSQL, the production path): parsing is pure Python, and a
  thread would share the GIL with the writer; a process uses the machine's second core.
  The child is forked (it inherits the loaded importer: branches, settings) and sends each
  prepared batch through a bounded queue (``QUEUE_BATCHES``), so memory stays flat however
  far ahead it could read. It never touches the database: the parent's connection is
  inherited but unused, and the child leaves with ``os._exit`` (multiprocessing's default
  for forked children), so nothing is sent on that socket.
  A Celery prefork worker's process is daemonic, and the standard library refuses a
  daemonic process children; billiard (Celery's own fork of multiprocessing) does not, so
  there the child is started with billiard. The child asks the kernel to end it when its
  parent dies (``PR_SET_PDEATHSIG``): a worker killed at its time limit leaves no parser
  behind, blocked on a full queue.
- in a **thread** (other databases, or where a process cannot be started): one batch
  ahead.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import queue
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eligibility.imports.batch import Importer
from eligibility.imports.errors import ImportFileError
from eligibility.imports.reader import RawRow, read_rows

logger = logging.getLogger(__name__)

#: Prepared batches the child may have ready before the parent takes them.
QUEUE_BATCHES = 2
#: Seconds between checks that the child is still alive while waiting for a batch.
POLL_SECONDS = 5.0

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
            context = _fork_context()
            channel: Any = context.Queue(maxsize=QUEUE_BATCHES)
            child = context.Process(
                target=_child,
                args=(importer, path, encoding, size, channel, os.getpid()),
                daemon=True,
            )
            child.start()
        except (AssertionError, OSError, ValueError) as exc:
            logger.info("%s: no child process for parsing (%r)", path.name, exc)
        else:
            logger.info("%s: parsing in a child process (pid %s)", path.name, child.pid)
            yield from _from_child(importer, child, channel)
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


_END = "end"


def _fork_context() -> Any:
    """multiprocessing's fork context; billiard's in a daemonic process (a Celery prefork
    pool worker), which the standard library would not let start a child."""
    if multiprocessing.current_process().daemon:
        import billiard

        return billiard.get_context("fork")
    return multiprocessing.get_context("fork")


#: prctl(2) option: the signal the kernel sends this process when its parent ends.
PR_SET_PDEATHSIG = 1


def _end_with_parent(parent_pid: int) -> None:
    """Have the kernel kill this process when its parent ends (Linux; elsewhere the parent's
    ``terminate`` on its way out is all there is)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (AttributeError, OSError):
        return
    if os.getppid() != parent_pid:  # the parent ended before the request took effect
        os._exit(1)


def _child(
    importer: Importer, path: Path, encoding: str, size: int, channel: Any, parent_pid: int
) -> None:
    _end_with_parent(parent_pid)
    try:
        for batch in batches(importer, path, encoding, size):
            channel.put((len(batch), importer.prepare(batch)))
        channel.put(_END)
    except ImportFileError as exc:
        channel.put(_FileError(exc.message, exc.line, exc.column))
    except BaseException as exc:  # reported to the parent, which raises
        channel.put(_Crash(f"{type(exc).__name__}: {exc}"))
    finally:
        channel.close()
        channel.join_thread()  # everything sent before the child exits


def _from_child(importer: Importer, child: Any, channel: Any) -> Iterator[Prepared]:
    try:
        while True:
            try:
                item = channel.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if not child.is_alive():
                    raise RuntimeError(
                        f"import parser process ended unexpectedly ({child.exitcode})"
                    ) from None
                continue
            if item == _END:
                return
            if isinstance(item, _FileError):
                raise ImportFileError(item.message, line=item.line, column=item.column)
            if isinstance(item, _Crash):
                raise RuntimeError(f"import parser process failed: {item.description}")
            yield item
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        channel.close()
