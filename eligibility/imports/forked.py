"""A forked child process that sends results to its parent through a pipe.

``os.fork`` and a pipe rather than ``multiprocessing``: a ``multiprocessing`` child runs the
after-fork handlers libraries register there, and kombu's (Celery's messaging) closes the
broker connections the child inherited, which blocks for good on a Redis socket the parent
still uses (seen in the test suite: the parser child hung before parsing a row). And a
daemonic process, as a Celery prefork pool worker is, may not start a ``multiprocessing``
child at all. This child runs nothing but its ``produce`` function and leaves with
``os._exit``, so nothing inherited (the database connection included) is touched.

Messages are pickled by a thread in the child, at most ``ahead`` of them waiting, so the
child stays a bounded distance ahead of the parent; the parent reads them in order. The
kernel ends the child when its parent dies (``PR_SET_PDEATHSIG``): a worker killed at its
time limit leaves no child behind, blocked on a full pipe.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import queue
import signal
import struct
import threading
from collections.abc import Callable
from typing import Any, BinaryIO

_HEADER = struct.Struct("!Q")  # the length of the pickled message that follows
_DONE = object()
#: prctl(2) option: the signal the kernel sends this process when its parent ends.
PR_SET_PDEATHSIG = 1


class ChildEnded(Exception):
    """The child ended without sending everything (killed, or crashed outside ``produce``)."""


class ForkedChild:
    """``ForkedChild(produce)`` forks; in the child, ``produce(send)`` runs and each
    ``send(message)`` reaches the parent's :meth:`receive`, in order. :meth:`receive`
    returns None once ``produce`` has returned. ``stop()`` ends and reaps the child."""

    def __init__(self, produce: Callable[[Callable[[Any], None]], None], *, ahead: int) -> None:
        parent_pid = os.getpid()
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 1
            try:
                os.close(read_fd)
                # Not the parent's handlers (a Celery worker's would shut "the worker" down).
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                _end_with_parent(parent_pid)
                with os.fdopen(write_fd, "wb") as out:
                    _send_all(produce, out, ahead)
                code = 0
            finally:
                os._exit(code)
        os.close(write_fd)
        self.pid = pid
        self._stream: BinaryIO = os.fdopen(read_fd, "rb")
        self._exit_code: int | None = None

    def receive(self) -> Any:
        header = self._stream.read(_HEADER.size)
        if not header:
            raise ChildEnded(f"the child process ended early ({self._reap()})")
        if len(header) < _HEADER.size:
            raise ChildEnded(f"the child process ended mid-message ({self._reap()})")
        (length,) = _HEADER.unpack(header)
        if length == 0:
            return None
        payload = self._stream.read(length)
        if len(payload) < length:
            raise ChildEnded(f"the child process ended mid-message ({self._reap()})")
        return pickle.loads(payload)

    def stop(self) -> None:
        if self._exit_code is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
            self._reap()
        self._stream.close()

    def _reap(self) -> str:
        if self._exit_code is None:
            _, status = os.waitpid(self.pid, 0)
            self._exit_code = os.waitstatus_to_exitcode(status)
        return f"exit code {self._exit_code}"


def _send_all(produce: Callable[[Callable[[Any], None]], None], out: BinaryIO, ahead: int) -> None:
    """In the child: ``produce`` pickles, a thread writes (the pipe blocks it while the parent
    is busy, and ``produce`` goes on until ``ahead`` messages wait)."""
    waiting: queue.Queue[Any] = queue.Queue(maxsize=ahead)

    def write() -> None:
        try:
            while (item := waiting.get()) is not _DONE:
                out.write(_HEADER.pack(len(item)))
                out.write(item)
                out.flush()
            out.write(_HEADER.pack(0))
            out.flush()
        except BaseException:  # the parent stopped reading (it went away): nothing to do
            os._exit(1)

    writer = threading.Thread(target=write, name="forked-send", daemon=True)
    writer.start()

    def send(message: Any) -> None:
        waiting.put(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    try:
        produce(send)
    finally:
        waiting.put(_DONE)
        writer.join()


def _end_with_parent(parent_pid: int) -> None:
    """Have the kernel kill this process when its parent ends (Linux; elsewhere the parent's
    ``stop`` on its way out is all there is)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (AttributeError, OSError):
        return
    if os.getppid() != parent_pid:  # the parent ended before the request took effect
        os._exit(1)
